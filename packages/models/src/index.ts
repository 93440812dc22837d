export * from "./common.ts";
export * from "./event.ts";
export * from "./plan.ts";
export * from "./planning.ts";
export * from "./run.ts";
export * from "./task.ts";
export * from "./validation.ts";
export * from "./worker.ts";
