/**
 * The common shapes of CreateTaskInput parsed without zod: the same output as
 * CreateTaskInputSchema.parse, about a tenth of its cost (zod walks all 17 fields, most of them
 * absent, and clones each default; ~0.8 µs a task, a fifth of a batch enqueue). An input outside
 * these shapes, or with anything wrong, gets `undefined`: the caller then parses it with zod,
 * which decides, and reports every problem. createTaskFast.test.ts checks both agree.
 */

import type { z } from "zod";
import { isJsonObject, isStorableText, LIST_LIMITS, PRIORITY_RANGE } from "./common.ts";
import { type CreateTaskInputSchema, CREATE_TASK_LIMITS as L } from "./task.ts";

export type CreateTaskOutput = z.output<typeof CreateTaskInputSchema>;

const intIn = (v: unknown, min: number, max: number): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max;

const timestamp = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** A storable string (see isStorableText) of at most `max` characters. */
const storable = (v: unknown, max: number): v is string =>
  typeof v === "string" && v.length <= max && isStorableText(v);

/** A trimmed string of 1..max characters, or undefined. */
function trimmed(v: unknown, max: number): string | undefined {
  if (typeof v !== "string" || !isStorableText(v)) return undefined;
  const s = v.trim();
  return s.length >= 1 && s.length <= max ? s : undefined;
}

/** A copy of a list of tags or skills (trimmed when `trim`), as TagListSchema / SkillListSchema. */
function stringList(v: unknown, trim: boolean): string[] | undefined {
  if (!Array.isArray(v) || v.length > LIST_LIMITS.items) return undefined;
  const out: string[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const raw: unknown = v[i];
    if (typeof raw !== "string" || !isStorableText(raw)) return undefined;
    const s = trim ? raw.trim() : raw;
    if (s.length < 1 || s.length > LIST_LIMITS.itemLength) return undefined;
    out[i] = s;
  }
  return out;
}

const jsonObjectOrNull = (v: unknown): boolean => v === null || isJsonObject(v);

/**
 * CreateTaskInputSchema's output for `input`, or undefined when the input is not a plain object
 * of these fields with valid values (dependsOn, id and idempotencyKey always go through zod: such
 * tasks are created one by one anyway). A field given as undefined, or inherited, also goes to zod.
 */
export function parseCreateTaskFast(input: unknown): CreateTaskOutput | undefined {
  if (typeof input !== "object" || input === null) return undefined;
  const proto = Object.getPrototypeOf(input);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const v = input as Record<string, unknown>;
  let title: string | undefined;
  let taskType: string | undefined;
  let description: string | null | undefined;
  let priority = 1;
  let currentPhase = "start";
  let workflow: CreateTaskOutput["workflow"];
  let payload: CreateTaskOutput["payload"];
  let tags: string[] | undefined;
  let requiredSkills: string[] | undefined;
  let maxRetries = 3;
  let dueDate: number | null | undefined;
  let runAt: number | undefined;
  let delayMs: number | undefined;
  for (const key in v) {
    if (!Object.hasOwn(v, key)) return undefined;
    const x = v[key];
    switch (key) {
      case "title":
        title = trimmed(x, L.title);
        if (title === undefined) return undefined;
        break;
      case "taskType":
        taskType = trimmed(x, L.taskType);
        if (taskType === undefined) return undefined;
        break;
      case "description":
        if (x !== null && !storable(x, L.description)) return undefined;
        description = x;
        break;
      case "priority":
        if (!intIn(x, PRIORITY_RANGE.min, PRIORITY_RANGE.max)) return undefined;
        priority = x;
        break;
      case "currentPhase":
        if (!storable(x, L.currentPhase) || x.length < 1) return undefined;
        currentPhase = x;
        break;
      case "workflow":
        if (!jsonObjectOrNull(x)) return undefined;
        workflow = x as CreateTaskOutput["workflow"];
        break;
      case "payload":
        if (!jsonObjectOrNull(x)) return undefined;
        payload = x as CreateTaskOutput["payload"];
        break;
      case "tags":
        tags = stringList(x, false);
        if (tags === undefined) return undefined;
        break;
      case "requiredSkills":
        requiredSkills = stringList(x, true);
        if (requiredSkills === undefined) return undefined;
        break;
      case "maxRetries":
        if (!intIn(x, 0, L.maxRetries)) return undefined;
        maxRetries = x;
        break;
      case "dueDate":
        if (x !== null && !timestamp(x)) return undefined;
        dueDate = x;
        break;
      case "runAt":
        if (!timestamp(x)) return undefined;
        runAt = x;
        break;
      case "delayMs":
        if (!intIn(x, 0, L.delayMs)) return undefined;
        delayMs = x;
        break;
      default:
        return undefined;
    }
  }
  if (title === undefined || taskType === undefined) return undefined;
  // One shape for every task (fields the input left out are undefined, where zod omits them):
  // what reads it stays monomorphic.
  return {
    title,
    taskType,
    description,
    priority,
    currentPhase,
    workflow,
    payload,
    tags: tags ?? [],
    requiredSkills: requiredSkills ?? [],
    maxRetries,
    dueDate,
    runAt,
    delayMs,
    idempotencyKey: undefined,
    dependsOn: [],
    id: undefined,
  };
}

/** parseCreateTaskFast for each of at most `max` inputs, or undefined as soon as one is not for it. */
export function parseCreateTasksFast(inputs: unknown, max: number): CreateTaskOutput[] | undefined {
  if (!Array.isArray(inputs) || inputs.length > max) return undefined;
  const out: CreateTaskOutput[] = new Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const t = parseCreateTaskFast(inputs[i]);
    if (t === undefined) return undefined;
    out[i] = t;
  }
  return out;
}
