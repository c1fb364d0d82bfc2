// Usage: node audit.mjs <url>. Prints one JSON array: every audit with its status and reason.
import { auditServer } from "graphql-http";

const url = process.argv[2];
const results = await auditServer({ url });
console.log(
  JSON.stringify(
    results.map((r) => ({ id: r.id, name: r.name, status: r.status, reason: r.reason ?? null })),
  ),
);
