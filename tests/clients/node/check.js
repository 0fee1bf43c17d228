// What Node.js applications do through node-postgres (npm `pg`): plain queries, whose
// results pg turns into JavaScript values by their type oid, and parameterized queries
// (sent untyped, as pg sends every parameter). Usage: node check.js HOST PORT USER PASSWORD
// Prints one line per check; exits non-zero on the first failure.
const assert = require("node:assert/strict");
const { Client } = require("pg");

const [host, port, user, password] = process.argv.slice(2);

function ok(what) {
  console.log("ok " + what);
}

async function main() {
  const client = new Client({ host, port: Number(port), user, password, database: "sluice" });
  await client.connect();

  // an integer literal is an int4, which pg reads as a number (an int8 stays a string)
  let res = await client.query("SELECT 1 AS one, 3000000000 AS big");
  assert.deepEqual(res.rows, [{ one: 1, big: "3000000000" }]);
  assert.deepEqual(res.fields.map((f) => f.dataTypeID), [23, 20]);
  ok("SELECT 1 is the number 1");

  // numeric keeps its scale: as a parameter, and as a numeric(10,2) value
  res = await client.query("SELECT $1::numeric AS param, CAST(12.3 AS numeric(10,2)) AS price", ["12.34"]);
  assert.deepEqual(res.rows, [{ param: "12.34", price: "12.30" }]);
  assert.deepEqual(res.fields.map((f) => [f.dataTypeID, f.dataTypeModifier]), [[1700, -1], [1700, (10 << 16 | 2) + 4]]);
  ok("numeric parameters keep their scale");

  // a parameterized query over the catalog, and its error with SQLSTATE
  res = await client.query("SELECT name, superuser FROM sluice.roles WHERE name = $1", [user]);
  assert.deepEqual(res.rows, [{ name: user, superuser: true }]);
  ok("parameterized catalog query");
  await assert.rejects(client.query("SELECT * FROM sluice.nowhere"), (e) => e.code === "42P01" && /sluice\.nowhere/.test(e.message));
  ok("errors carry their SQLSTATE");

  await client.end();
  console.log("done");
}

main().catch((e) => {
  console.log("FAIL " + (e && e.stack ? e.stack : e));
  process.exit(1);
});
