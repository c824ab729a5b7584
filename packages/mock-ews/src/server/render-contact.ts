// Contact and Task properties in ContactItemType's and TaskType's xs:sequence order.
import {
  emailAddressesXml,
  indexedFilters,
  phoneNumbersXml,
  physicalAddressesXml,
} from "../operations/indexed-properties.js";
import { storedValue } from "../operations/stored-fields.js";
import { el } from "../xml.js";
import { isoSeconds, type Prop, wantedWhole } from "./render-base.js";

export const CONTACT: Prop[] = [
  {
    uri: "contacts:fileas",
    def: false,
    render: (c) =>
      c.data.contact
        ? el(
            "t:FileAs",
            storedValue(c.data, "contacts:fileas") ??
              `${c.data.contact.surname}, ${c.data.contact.givenName}`,
          )
        : "",
  },
  {
    uri: "contacts:displayname",
    def: true,
    render: (c) =>
      c.data.contact
        ? el(
            "t:DisplayName",
            storedValue(c.data, "contacts:displayname") ??
              `${c.data.contact.givenName} ${c.data.contact.surname}`,
          )
        : "",
  },
  {
    uri: "contacts:givenname",
    def: true,
    render: (c) => (c.data.contact ? el("t:GivenName", c.data.contact.givenName) : ""),
  },
  {
    uri: "contacts:companyname",
    def: true,
    render: (c) => (c.data.contact ? el("t:CompanyName", c.data.contact.companyName) : ""),
  },
  {
    uri: "contacts:emailaddresses",
    def: true,
    byIndex: (s) => indexedFilters(s.indexed).emails.size > 0,
    render: (c) => {
      if (c.data.contact === undefined) return "";
      const only = wantedWhole(c, "contacts:emailaddresses")
        ? undefined
        : indexedFilters(c.shape.indexed).emails;
      return emailAddressesXml(c.data.contact, only);
    },
  },
  {
    uri: "contacts:physicaladdresses",
    def: true,
    byIndex: (s) => indexedFilters(s.indexed).addresses.size > 0,
    render: (c) => {
      if (c.data.contact === undefined) return "";
      const only = wantedWhole(c, "contacts:physicaladdresses")
        ? undefined
        : indexedFilters(c.shape.indexed).addresses;
      return physicalAddressesXml(c.data.contact, only);
    },
  },
  {
    uri: "contacts:phonenumbers",
    def: true,
    byIndex: (s) => indexedFilters(s.indexed).phones.size > 0,
    render: (c) => {
      if (c.data.contact === undefined) return "";
      const only = wantedWhole(c, "contacts:phonenumbers")
        ? undefined
        : indexedFilters(c.shape.indexed).phones;
      return phoneNumbersXml(c.data.contact, only);
    },
  },
  {
    uri: "contacts:jobtitle",
    def: true,
    render: (c) => (c.data.contact ? el("t:JobTitle", c.data.contact.jobTitle) : ""),
  },
  {
    uri: "contacts:surname",
    def: true,
    render: (c) => (c.data.contact ? el("t:Surname", c.data.contact.surname) : ""),
  },
];

export const TASK: Prop[] = [
  {
    uri: "task:completedate",
    def: false,
    render: (c) => {
      const value = c.data.task === undefined ? undefined : storedValue(c.data, "task:completedate");
      return value === undefined ? "" : el("t:CompleteDate", isoSeconds(value));
    },
  },
  {
    uri: "task:duedate",
    def: true,
    render: (c) => (c.data.task?.dueDate ? el("t:DueDate", isoSeconds(c.data.task.dueDate)) : ""),
  },
  {
    uri: "task:iscomplete",
    def: false,
    render: (c) => (c.data.task ? el("t:IsComplete", c.data.task.status === "Completed") : ""),
  },
  {
    uri: "task:percentcomplete",
    def: true,
    render: (c) => (c.data.task ? el("t:PercentComplete", c.data.task.percentComplete) : ""),
  },
  {
    uri: "task:startdate",
    def: false,
    render: (c) => (c.data.task?.startDate ? el("t:StartDate", isoSeconds(c.data.task.startDate)) : ""),
  },
  { uri: "task:status", def: true, render: (c) => (c.data.task ? el("t:Status", c.data.task.status) : "") },
];
