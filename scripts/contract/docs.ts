/** Every generated documentation file: path → how to regenerate it from its committed text. */
import { webhookEventsDoc } from "./webhook-events";

export const GENERATED_DOCS: Record<string, (current: string) => string> = {
  "docs/webhook-events.md": webhookEventsDoc,
};
