/** Every generated documentation file: path → how to regenerate it from its committed text. */
import { webhookEventsDoc } from "./webhook-events";
import { errorCodesDoc } from "./error-codes";
import { configurationDoc } from "./configuration";

export const GENERATED_DOCS: Record<string, (current: string) => string> = {
  "docs/webhook-events.md": webhookEventsDoc,
  "docs/error-codes.md": errorCodesDoc,
  "docs/configuration.md": configurationDoc,
};
