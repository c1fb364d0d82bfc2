// Apollo Client 4 with the README's cache config, persisted queries and batching,
// against a live Concierge:
//   node --conditions=development client.mjs URL TOKEN POSSIBLE_TYPES_JSON [without-merge]
//
// Prints one JSON object of what it saw; exits 1 on any failed check or on any
// warning Apollo writes to the console (cache warnings included: the development
// build is loaded so that Apollo checks and warns). `without-merge` leaves the
// value objects' merge policies out, to show the warnings that config prevents.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

globalThis.__DEV__ = true;
const warnings = [];
for (const level of ["warn", "error"]) {
  console[level] = (...args) => warnings.push(args.map(String).join(" "));
}

const { ApolloClient, ApolloLink, InMemoryCache, gql } = await import("@apollo/client");
const { BatchHttpLink } = await import("@apollo/client/link/batch-http");
const { PersistedQueryLink } = await import("@apollo/client/link/persisted-queries");
const { relayStylePagination } = await import("@apollo/client/utilities");

const [url, token, possibleTypesPath, variant] = process.argv.slice(2);
const valueObjects = variant === "without-merge" ? {} : { merge: true };
const possibleTypes = JSON.parse(readFileSync(possibleTypesPath, "utf8"));

// Every HTTP request the links send, as the server received it.
const sent = [];
const recordingFetch = async (uri, options) => {
  const request = { method: options.method, body: JSON.parse(options.body) };
  sent.push(request);
  const response = await fetch(uri, options);
  request.status = response.status;
  return response;
};

// The README's cache config.
const page = (...keyArgs) => relayStylePagination(keyArgs.length ? keyArgs : false);
const cache = new InMemoryCache({
  possibleTypes,
  typePolicies: {
    Query: {
      fields: {
        personas: page("filter", "orderBy"),
        customers: page("filter", "orderBy"),
        conversations: page("filter", "orderBy"),
        appointments: page("filter", "orderBy"),
        users: page(),
        files: page(),
        upcomingAppointments: page("withinHours"),
      },
    },
    User: { fields: { personas: page() } },
    Persona: {
      fields: {
        conversations: page("orderBy"),
        aiSettings: valueObjects,
        voiceSettings: valueObjects,
      },
    },
    Customer: { fields: { conversations: page("orderBy"), appointments: page() } },
    Conversation: { fields: { messages: page("orderBy") } },
  },
});
const client = new ApolloClient({
  cache,
  link: ApolloLink.from([
    new PersistedQueryLink({ sha256: (text) => createHash("sha256").update(text).digest("hex") }),
    new BatchHttpLink({
      uri: url,
      batchMax: 10,
      fetch: recordingFetch,
      headers: { authorization: `Bearer ${token}` },
    }),
  ]),
});

const failures = [];
const check = (condition, message) => {
  if (!condition) failures.push(message);
};

const PERSONAS = gql`
  query Personas($after: String) {
    personas(first: 2, after: $after) {
      totalCount
      edges { cursor node { id name aiSettings { model } } }
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
const SCHEDULE = gql`query Schedule { schedule { id timezone isDefault } }`;
const UPDATE_SCHEDULE = gql`
  mutation Move($input: UpdateScheduleInput!) {
    updateSchedule(input: $input) { schedule { id timezone isDefault } errors { message } }
  }
`;
const NODES = gql`
  query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id ... on Persona { name } } }
`;

let pages = 0;
let names = [];
let subscription;
try {
  // 1. Relay-style pagination over several pages into one cached list.
  const first = await client.query({ query: PERSONAS });
  const watched = client.watchQuery({ query: PERSONAS });
  subscription = watched.subscribe({ next() {} });
  let pageInfo = first.data.personas.pageInfo;
  pages = 1;
  while (pageInfo.hasNextPage) {
    const more = await watched.fetchMore({ variables: { after: pageInfo.endCursor } });
    pageInfo = more.data.personas.pageInfo;
    pages += 1;
  }
  const listed = client.readQuery({ query: PERSONAS });
  names = listed.personas.edges.map((edge) => edge.node.name);
  check(pages >= 3, `expected several pages, got ${pages}`);
  check(names.length === first.data.personas.totalCount, `merged ${names.length} personas`);

  // 2. A mutation's payload updates the normalised persona in the cached list, and
  //    its embedded value object merges without a warning.
  const target = listed.personas.edges[0].node;
  await client.mutate({
    mutation: UPDATE_PERSONA,
    variables: { input: { id: target.id, name: "Renamed", aiSettings: { temperature: 0.2 } } },
  });
  const afterRename = client.readQuery({ query: PERSONAS });
  const renamed = afterRename.personas.edges.find((edge) => edge.node.id === target.id).node;
  check(renamed.name === "Renamed", `the cached persona is ${renamed.name}`);
  check(renamed.aiSettings.model === target.aiSettings.model, "aiSettings lost its model");

  // 3. Schedule has an id: updateSchedule updates the cached schedule in place.
  const before = await client.query({ query: SCHEDULE });
  await client.mutate({ mutation: UPDATE_SCHEDULE, variables: { input: { timezone: "Europe/Berlin" } } });
  const cachedSchedule = client.readQuery({ query: SCHEDULE }).schedule;
  check(before.data.schedule.isDefault === true, "the schedule started saved");
  check(cachedSchedule.timezone === "Europe/Berlin", `cached timezone ${cachedSchedule.timezone}`);
  check(cachedSchedule.id === before.data.schedule.id, "the schedule's id changed");

  // 4. Fragments on an interface's members match (possibleTypes) in nodes(ids:).
  const nodes = await client.query({ query: NODES, variables: { ids: [target.id] } });
  check(nodes.data.nodes[0].name === "Renamed", "nodes(ids:) did not read the persona");

  // 5. Persisted queries through batching: a second run of a query sends its hash alone.
  const hashOnly = (body) => body.query === undefined && body.extensions?.persistedQuery;
  const sentBefore = sent.length;
  await client.query({ query: PERSONAS, fetchPolicy: "network-only" });
  const rerun = sent.slice(sentBefore);
  check(rerun.length === 1 && rerun[0].body.every(hashOnly), "a known query was not sent as a hash");

  // Two new queries in one tick: one batch of hashes, answered per operation.
  // (Apollo answers a query of `__typename` alone itself, so both read the server.)
  const HEALTH = gql`query Health { health { status } }`;
  const VIEWER = gql`query Viewer { viewer { id username } }`;
  const sentBeforePair = sent.length;
  const [health, viewer] = await Promise.all([
    client.query({ query: HEALTH }),
    client.query({ query: VIEWER }),
  ]);
  const pair = sent.slice(sentBeforePair);
  check(health.data.health.status && viewer.data.viewer.username, "the pair failed");
  check(pair[0].body.length === 2 && pair[0].body.every(hashOnly), "the pair was not one batch of hashes");
  check(pair.some((request) => request.body.some((op) => op.query)), "no retry with the document");

} catch (error) {
  failures.push(`the run stopped: ${error}`);
}
subscription?.unsubscribe();
const batches = sent.filter((request) => request.body.length > 1).length;
process.stdout.write(
  JSON.stringify({ pages, names, requests: sent.length, batches, warnings, failures, sent }) + "\n",
);
process.exit(failures.length || warnings.length ? 1 : 0);
