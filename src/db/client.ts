/** The drizzle handle over D1. Only code under db/ imports this. */
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = ReturnType<typeof drizzle<typeof schema>>;

export function database(d1: D1Database): Db {
  return drizzle(d1, { schema });
}
