// urql with graphcache, configured as the README says (keys of the types without an
// id and possibleTypes from `concierge export-schema`, relayPagination, persisted
// queries over GET), against a live Concierge:
//   node client.mjs URL TOKEN URQL_KEYS_JSON POSSIBLE_TYPES_JSON [without-keys|without-possible-types]
//
// Prints one JSON object of what it saw; exits 1 on any failed check or on any
// warning graphcache gives, through its `logger` or the console (its development
// build warns unless NODE_ENV is production). The variants leave a part of the
// README's config out, to show the warnings that part prevents.
import { readFileSync } from "node:fs";

const warnings = [];
for (const level of ["warn", "error"]) {
  console[level] = (...args) => warnings.push(args.map(String).join(" "));
}
const logger = (severity, message) => {
  if (severity !== "debug") warnings.push(`${severity}: ${message}`);
};

const { Client, fetchExchange, gql } = await import("@urql/core");
const { cacheExchange } = await import("@urql/exchange-graphcache");
const { relayPagination } = await import("@urql/exchange-graphcache/extras");
const { persistedExchange } = await import("@urql/exchange-persisted");

const [url, token, keysPath, possibleTypesPath, variant] = process.argv.slice(2);
const keyless = variant === "without-keys" ? {} : JSON.parse(readFileSync(keysPath, "utf8"));
const possibleTypes =
  variant === "without-possible-types" ? undefined : JSON.parse(readFileSync(possibleTypesPath, "utf8"));

// Every HTTP request the client sends, and the status it got.
const sent = [];
const recordingFetch = async (input, options) => {
  const target = new URL(input);
  const request = { method: options.method ?? "GET" };
  const params = options.method === "POST" ? JSON.parse(options.body) : {
    query: target.searchParams.get("query") ?? undefined,
    extensions: JSON.parse(target.searchParams.get("extensions") ?? "{}"),
  };
  Object.assign(request, {
    query: params.query !== undefined,
    hash: params.extensions?.persistedQuery?.sha256Hash ?? null,
  });
  sent.push(request);
  const response = await fetch(input, options);
  request.status = response.status;
  return response;
};

// The README's config.
const client = new Client({
  url,
  fetch: recordingFetch,
  fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
  exchanges: [
    cacheExchange({
      keys: Object.fromEntries(Object.keys(keyless).map((type) => [type, () => null])),
      possibleTypes,
      resolvers: {
        Query: { personas: relayPagination(), conversations: relayPagination(),
                 customers: relayPagination(), appointments: relayPagination() },
        Conversation: { messages: relayPagination() },
      },
      logger,
    }),
    persistedExchange({ preferGetForPersistedQueries: true }),
    fetchExchange,
  ],
});

const failures = [];
const check = (condition, message) => {
  if (!condition) failures.push(message);
};
const run = async (operation) => {
  const result = await operation.toPromise();
  if (result.error) throw result.error;
  return result.data;
};

const PERSONAS = gql`
  query Personas($after: String) {
    personas(first: 2, after: $after) {
      totalCount
      edges { cursor node { id name aiSettings { model temperature } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
const UPDATE_PERSONA = gql`
  mutation Rename($input: UpdatePersonaInput!) {
    updatePersona(input: $input) {
      persona { id name aiSettings { temperature } }
      errors { __typename message }
    }
  }
`;
const NODES = gql`
  query Nodes($ids: [ID!]!) { nodes(ids: $ids) { ...Named } }
  fragment Named on Node { id ... on Persona { name } }
`;
const SCHEDULE = gql`query Schedule { schedule { id timezone } }`;
const UPDATE_SCHEDULE = gql`
  mutation Move($input: UpdateScheduleInput!) {
    updateSchedule(input: $input) { schedule { id timezone } errors { message } }
  }
`;

let pages = 0;
let names = [];
try {
  // 1. Relay-style pagination: each page is merged into the one cached list.
  let data = await run(client.query(PERSONAS, {}));
  pages = 1;
  while (data.personas.pageInfo.hasNextPage) {
    data = await run(client.query(PERSONAS, { after: data.personas.pageInfo.endCursor }));
    pages += 1;
  }
  const listed = client.readQuery(PERSONAS, {})?.data;
  names = listed.personas.edges.map((edge) => edge.node.name);
  check(pages >= 3, `expected several pages, got ${pages}`);
  check(names.length === listed.personas.totalCount, `merged ${names.length} personas`);
  check(listed.personas.pageInfo.hasNextPage === false, "the merged list is not complete");

  // 2. A mutation's payload updates the normalised persona in the cached list, and
  //    its embedded value object keeps the fields the payload did not select.
  const target = listed.personas.edges[0].node;
  const renamed = await run(client.mutation(UPDATE_PERSONA, {
    input: { id: target.id, name: "Renamed", aiSettings: { temperature: 0.2 } },
  }));
  check(renamed.updatePersona.errors.length === 0, "updatePersona refused");
  const requestsBefore = sent.length;
  const afterRename = client.readQuery(PERSONAS, {}, { requestPolicy: "cache-only" })?.data;
  check(sent.length === requestsBefore, "a cache-only read went to the server");
  const cached = afterRename.personas.edges.find((edge) => edge.node.id === target.id).node;
  check(cached.name === "Renamed", `the cached persona is ${cached.name}`);
  check(cached.aiSettings.temperature === 0.2, `cached temperature ${cached.aiSettings.temperature}`);
  check(cached.aiSettings.model === target.aiSettings.model, "aiSettings lost its model");
  check(afterRename.personas.edges.length === names.length, "the merged list lost pages");

  // 3. Schedule has an id: updateSchedule updates the cached schedule in place.
  const before = await run(client.query(SCHEDULE, {}));
  await run(client.mutation(UPDATE_SCHEDULE, { input: { timezone: "Europe/Berlin" } }));
  const schedule = client.readQuery(SCHEDULE, {})?.data.schedule;
  check(schedule?.timezone === "Europe/Berlin", `cached timezone ${schedule?.timezone}`);
  check(schedule?.id === before.schedule.id, "the schedule's id changed");

  // 4. A fragment on the Node interface matches its members (possibleTypes).
  const nodes = await run(client.query(NODES, { ids: [target.id] }));
  check(nodes.nodes[0]?.name === "Renamed", "nodes(ids:) did not read the persona");
  const cachedNodes = client.readQuery(NODES, { ids: [target.id] })?.data;
  check(cachedNodes?.nodes[0]?.name === "Renamed", "the cached nodes(ids:) lost the fragment");

  // 5. Persisted queries: a query the server knows goes out as its hash alone, by GET.
  const sentBefore = sent.length;
  await run(client.query(PERSONAS, {}, { requestPolicy: "network-only" }));
  const rerun = sent.slice(sentBefore);
  check(
    rerun.length === 1 && rerun[0].method === "GET" && !rerun[0].query && rerun[0].hash &&
      rerun[0].status === 200,
    `a known query was not sent as a hash: ${JSON.stringify(rerun)}`,
  );
} catch (error) {
  failures.push(`the run stopped: ${error}`);
}
process.stdout.write(
  JSON.stringify({ pages, names, requests: sent.length, warnings, failures, sent }) + "\n",
);
process.exit(failures.length || warnings.length ? 1 : 0);
