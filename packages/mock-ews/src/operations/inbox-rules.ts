// GetInboxRules and UpdateInboxRules: the mailbox's server-side rules in priority order.
// UpdateInboxRules is all-or-nothing, as in Exchange: one invalid operation fails the request
// with ErrorInboxRulesValidationError and a RuleOperationError per bad operation, and nothing
// changes. Limitation: the parsed request groups operations by element name, so operations are
// applied (and OperationIndex counted) creates first, then sets, then deletes.
import { EwsResponseError } from "../errors.js";
import { settingsOf } from "../store/mailbox-settings.js";
import type { MailboxState } from "../store/records.js";
import { type InboxRule, type MailboxSettings, newRuleId, placeRule } from "../store/settings.js";
import { child, children, text, type XmlNode } from "../xml.js";
import { errorMessage, type Operation, type OperationContext } from "./common.js";
import { parseRule, RuleInvalid, type RuleValidationError, ruleXml, validationErrorXml } from "./rule-xml.js";

/** The mailbox named by MailboxSmtpAddress (or the request's), with a context acting on it. */
function target(request: XmlNode, ctx: OperationContext): OperationContext {
  const smtp = text(request, "MailboxSmtpAddress")?.trim();
  const mailbox: MailboxState = smtp === undefined || smtp === "" ? ctx.mailbox : ctx.mailboxFor(smtp);
  return mailbox === ctx.mailbox ? ctx : { ...ctx, mailbox };
}

export const getInboxRules: Operation = {
  messageName: "GetInboxRulesResponse",
  framing: "self",
  renderRequestError: (error) => errorMessage("GetInboxRulesResponse", error),
  run(request, ctx) {
    const on = target(request, ctx);
    const settings = settingsOf(on.store, on.mailbox);
    const rules = settings.rules.map((rule) => ruleXml(on, rule)).join("");
    return `<m:GetInboxRulesResponse ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:OutlookRuleBlobExists>false</m:OutlookRuleBlobExists><m:InboxRules>${rules}</m:InboxRules></m:GetInboxRulesResponse>`;
  },
};

interface Failure {
  readonly index: number;
  readonly error: RuleValidationError;
}

/** Applies the operations to a copy of the settings; returns the failures (the copy is then discarded). */
function apply(ctx: OperationContext, settings: MailboxSettings, operations: XmlNode | undefined): Failure[] {
  const failures: Failure[] = [];
  const touched = new Set<string>();
  let index = 0;
  const step = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      if (!(error instanceof RuleInvalid)) throw error;
      failures.push({ index, error: error.error });
    }
    index++;
  };
  const claim = (id: string) => {
    if (touched.has(id))
      throw new RuleInvalid({
        field: "RuleId",
        code: "DuplicatedOperationOnTheSameRule",
        message: "The rule is changed by more than one operation.",
        value: id,
      });
    touched.add(id);
  };
  const existing = (id: string | undefined): InboxRule => {
    const rule = settings.rules.find((r) => r.id === id);
    if (rule === undefined)
      throw new RuleInvalid({
        field: "RuleId",
        code: "RuleNotFound",
        message: "The rule was not found.",
        value: id ?? "",
      });
    return rule;
  };
  for (const op of children(operations, "CreateRuleOperation")) {
    step(() => {
      const parsed = parseRule(ctx, child(op, "Rule") ?? {});
      if (parsed.id !== undefined)
        throw new RuleInvalid({
          field: "RuleId",
          code: "CreateWithRuleId",
          message: "A new rule cannot carry a rule id.",
          value: parsed.id,
        });
      const rule = { ...parsed, id: newRuleId(settings) };
      touched.add(rule.id);
      placeRule(settings, rule);
    });
  }
  for (const op of children(operations, "SetRuleOperation")) {
    step(() => {
      const parsed = parseRule(ctx, child(op, "Rule") ?? {});
      const rule = existing(parsed.id);
      claim(rule.id);
      placeRule(settings, { ...parsed, id: rule.id });
    });
  }
  for (const op of children(operations, "DeleteRuleOperation")) {
    step(() => {
      const rule = existing(text(op, "RuleId")?.trim());
      claim(rule.id);
      settings.rules = settings.rules.filter((r) => r !== rule).map((r, i) => ({ ...r, priority: i + 1 }));
    });
  }
  return failures;
}

export const updateInboxRules: Operation = {
  messageName: "UpdateInboxRulesResponse",
  framing: "self",
  renderRequestError: (error) => errorMessage("UpdateInboxRulesResponse", error),
  run(request, ctx) {
    const on = target(request, ctx);
    const settings = settingsOf(on.store, on.mailbox);
    const draft: MailboxSettings = { ...settings, rules: [...settings.rules] };
    const failures = apply(on, draft, child(request, "Operations"));
    if (failures.length > 0) {
      const errors = failures
        .map(
          (f) =>
            `<t:RuleOperationError><t:OperationIndex>${f.index}</t:OperationIndex><t:ValidationErrors>${validationErrorXml(f.error)}</t:ValidationErrors></t:RuleOperationError>`,
        )
        .join("");
      return errorMessage(
        "UpdateInboxRulesResponse",
        new EwsResponseError(
          "ErrorInboxRulesValidationError",
          "A validation error occurred while executing the rule operation.",
        ),
        `<m:RuleOperationErrors>${errors}</m:RuleOperationErrors>`,
      );
    }
    settings.rules = draft.rules;
    settings.nextRuleNumber = draft.nextRuleNumber;
    return `<m:UpdateInboxRulesResponse ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:UpdateInboxRulesResponse>`;
  },
};
