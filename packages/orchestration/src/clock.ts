/** The one clock of the package (milliseconds since the epoch, UTC). */
export const now = (): number => Date.now();

/** Random UUID v4 ids. */
export const newId = (): string => crypto.randomUUID();
