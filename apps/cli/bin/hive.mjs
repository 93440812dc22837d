#!/usr/bin/env node
// Runs the TypeScript entry in this process through tsx's loader (internal packages are
// consumed from source), so signals reach the dashboard server directly.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
