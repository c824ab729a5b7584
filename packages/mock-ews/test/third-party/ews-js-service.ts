// The ews-javascript-api service every test drives the mock with: Exchange 2016, the server's
// own credentials, impersonating one mailbox (as a backup tool works across mailboxes).
import "./node-util-shim.js";
import type { MockEwsServer } from "@ewsvault/mock-ews";
import {
  ConnectingIdType,
  ExchangeService,
  ExchangeVersion,
  ImpersonatedUserId,
  Uri,
  WebCredentials,
} from "ews-javascript-api";

export function impersonatingService(server: MockEwsServer, mailbox: string): ExchangeService {
  const service = new ExchangeService(ExchangeVersion.Exchange2016);
  service.Credentials = new WebCredentials(server.credentials.username, server.credentials.password);
  service.Url = new Uri(server.url);
  service.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, mailbox);
  return service;
}
