// How Exchange keeps a task's completion consistent whatever the client sets: Status Completed
// and PercentComplete 100 go together (either one set makes the other), completing stamps
// CompleteDate (PidLidTaskDateCompleted) when the client gave none, and a task that is no longer
// complete loses it.
import type { MockItemData } from "../model.js";
import { writeExtended } from "./extended-properties.js";
import { STORED_FIELDS, storedValue } from "./stored-fields.js";

const COMPLETE_DATE = STORED_FIELDS["task:completedate"]!.property;

/** `data` after a CreateItem (no `before`) or UpdateItem, with the completion fields made consistent. */
export function settleTask(data: MockItemData, before?: MockItemData): MockItemData {
  const task = data.task;
  if (task === undefined) return data;
  let { status, percentComplete } = task;
  const statusChanged = before?.task?.status !== status;
  const percentChanged = before?.task?.percentComplete !== percentComplete;
  if (statusChanged && status === "Completed") percentComplete = 100;
  else if (percentChanged && percentComplete === 100) status = "Completed";
  else if (percentChanged && status === "Completed")
    status = percentComplete > 0 ? "InProgress" : "NotStarted";
  const out: MockItemData = { ...data, task: { ...task, status, percentComplete } };
  // Only a change of state moves the date (a generated completed task keeps having none).
  const wasCompleted = before?.task?.status === "Completed";
  const stamped = storedValue(out, "task:completedate") !== undefined;
  if (status === "Completed" && !wasCompleted && !stamped) {
    return writeExtended(out, COMPLETE_DATE, [new Date().toISOString().replace(/\.\d{3}Z$/, "Z")]);
  }
  if (status !== "Completed" && wasCompleted && stamped) return writeExtended(out, COMPLETE_DATE, undefined);
  return out;
}
