// better-sqlite3 11.9.1 installed under an npm alias (for liteque); same API as the typed one.
declare module "better-sqlite3-old" {
  import BetterSqlite3 = require("better-sqlite3");
  export = BetterSqlite3;
}
