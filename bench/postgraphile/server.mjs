// PostGraphile as a peer in Concierge's benchmark: library mode, its default
// preset (Amber), one process, grafserv on node:http, no authentication.
//
//   DATABASE_URL=postgres://... PORT=5678 node server.mjs
//
// The schema is built before the port opens, so the first request that is
// answered is already a real one; "ready" on stdout says the same to a reader.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const connectionString = process.env.DATABASE_URL;
const port = Number(process.env.PORT ?? 5678);
if (!connectionString) {
  console.error("DATABASE_URL is required");
  process.exit(2);
}

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  // Amber hides ordering and conditions on columns without a plain index, and
  // relations whose referencing columns lead no index: conversations are kept
  // in order through an index on an expression (coalesce(last_message_at,
  // created_at)), and a persona's conversations through an index on persona_id
  // alone, not on the composite key (owner_id, persona_id). Without this plugin
  // the schema offers every column and relation, as PostGraphile 4 did.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [makePgService({ connectionString, schemas: ["public"] })],
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false },
};

const pgl = postgraphile(preset);
await pgl.getSchema();
const server = createServer();
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
await pgl.createServ(grafserv).addTo(server);
server.listen(port, "127.0.0.1", () => {
  console.log(`ready: http://127.0.0.1:${port}/graphql`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close();
    pgl.release().finally(() => process.exit(0));
  });
}
