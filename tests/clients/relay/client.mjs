// relay-runtime (no React) running what relay-compiler made of src/, against a live
// Concierge in trusted-documents mode, sending each operation as its doc_id alone:
//   node client.mjs URL GENERATED_DIR USERNAME
//
// GENERATED_DIR is the compiler's __generated__ directory. Prints one JSON object
// of what it saw; exits 1 on any failed check or on any warning Relay gives (its
// development build warns through console.error, field problems go to
// relayFieldLogger).
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const warnings = [];
for (const level of ["warn", "error"]) {
  console[level] = (...args) => warnings.push(args.map(String).join(" "));
}

const relay = (await import("relay-runtime")).default;
const {
  Environment, Network, RecordSource, Store,
  commitLocalUpdate, commitMutation, createOperationDescriptor, fetchQuery, getSelector,
} = relay;

const [url, generated, username] = process.argv.slice(2);
const artifact = async (name) =>
  (await import(pathToFileURL(join(generated, `${name}.graphql.js`)).href)).default;
const [
  PersonasQuery, PersonaList, PersonaListPagination, PersonaCard, PersonaCardRefetch,
  SignUp, CreatePersona, RenamePersona, DeletePersona,
] = await Promise.all([
  "PersonasQuery", "PersonaList_query", "PersonaListPaginationQuery", "PersonaCard_persona",
  "PersonaCardRefetchQuery", "SignUpMutation", "CreatePersonaMutation",
  "RenamePersonaMutation", "DeletePersonaMutation",
].map(artifact));

// The README's network layer: {"doc_id": params.id, "variables": variables}.
const sent = [];
let token = null;
const fetchFunction = async (params, variables) => {
  const request = { operation: params.name, id: params.id, text: params.text !== null };
  sent.push(request);
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ doc_id: params.id, variables }),
  });
  request.status = response.status;
  const result = await response.json();
  if (result.errors) request.errors = result.errors;
  return result;
};
const environment = new Environment({
  network: Network.create(fetchFunction),
  store: new Store(new RecordSource()),
  relayFieldLogger: (event) => warnings.push(`relayFieldLogger: ${JSON.stringify(event)}`),
});

const failures = [];
const check = (condition, message) => {
  if (!condition) failures.push(message);
};
const query = (request, variables) =>
  fetchQuery(environment, request, variables, { fetchPolicy: "network-only" }).toPromise();
const mutate = (mutation, variables) =>
  new Promise((resolve, reject) =>
    commitMutation(environment, {
      mutation,
      variables,
      onCompleted: (response, errors) =>
        errors?.length ? reject(new Error(JSON.stringify(errors))) : resolve(response),
      onError: reject,
    }),
  );
const read = (fragment, owner) => environment.lookup(getSelector(fragment, owner)).data;
const names = (list) => list.edges.map((edge) => read(PersonaCard, edge.node).name);

let pages = 0;
let merged = [];
let records = 0;
try {
  // A member with five personas, through the registered mutations.
  const signedUp = await mutate(SignUp, {
    input: { email: `${username}@example.com`, username, password: "correct-horse-1" },
  });
  token = signedUp.signUp.token;
  check(token, `signUp: ${JSON.stringify(signedUp.signUp.errors)}`);
  for (let index = 0; index < 5; index += 1) {
    const created = await mutate(CreatePersona, {
      input: { name: `P${index}`, systemPrompt: "Hi" }, connections: [],
    });
    check(created.createPersona.errors.length === 0, `createPersona P${index} refused`);
  }

  // 1. The first page, then the next ones through the @refetchable pagination query:
  //    the connection handler merges the pages into the one connection record.
  const operation = createOperationDescriptor(PersonasQuery, { count: 2 });
  const retained = environment.retain(operation);
  await query(PersonasQuery, { count: 2 });
  const root = environment.lookup(operation.fragment).data;
  let list = read(PersonaList, root).personas;
  pages = 1;
  check(list.edges.length === 2, `the first page has ${list.edges.length} edges`);
  while (list.pageInfo.hasNextPage) {
    await query(PersonaListPagination, { count: 2, cursor: list.pageInfo.endCursor });
    list = read(PersonaList, root).personas;
    pages += 1;
  }
  merged = names(list);
  check(pages === 3, `expected three pages, got ${pages}`);
  check(list.edges.length === list.totalCount, `merged ${list.edges.length} of ${list.totalCount}`);
  const source = environment.getStore().getSource();
  records = source.getRecordIDs().filter((id) => source.get(id)?.__typename === "Persona").length;
  check(records === 5, `the store holds ${records} personas`);

  // 2. node(id:) refetches a persona into its normalised record.
  const card = list.edges[1].node;
  const { id } = read(PersonaCard, card);
  commitLocalUpdate(environment, (store) => store.get(id).setValue("stale", "name"));
  check(read(PersonaCard, card).name === "stale", "the local update did not show");
  const refetched = await query(PersonaCardRefetch, { id });
  check(refetched.node && read(PersonaCard, refetched.node).id === id, "node(id:) missed the persona");
  check(read(PersonaCard, card).name === "P1", `after the refetch: ${read(PersonaCard, card).name}`);

  // 3. A mutation's payload updates the record the list shows.
  const first = read(PersonaCard, list.edges[0].node);
  await mutate(RenamePersona, {
    input: { id: first.id, name: "Renamed", aiSettings: { temperature: 0.2 } },
  });
  const renamed = read(PersonaCard, read(PersonaList, root).personas.edges[0].node);
  check(renamed.name === "Renamed", `the list shows ${renamed.name}`);
  check(renamed.aiSettings.temperature === 0.2, `temperature ${renamed.aiSettings.temperature}`);
  check(renamed.aiSettings.model === first.aiSettings.model, "aiSettings lost its model");

  // 4. @appendNode and @deleteEdge keep the connection in step with the server.
  const connection = list.__id;
  await mutate(CreatePersona, { input: { name: "P5", systemPrompt: "Hi" }, connections: [connection] });
  const appended = names(read(PersonaList, root).personas);
  check(appended.at(-1) === "P5" && appended.length === 6, `after createPersona: ${appended}`);
  const deleted = await mutate(DeletePersona, { input: { id }, connections: [connection] });
  check(deleted.deletePersona.deletedId === id, "deletePersona deleted something else");
  const left = names(read(PersonaList, root).personas);
  check(left.length === 5 && !left.includes("P1"), `after deletePersona: ${left}`);
  retained.dispose();
} catch (error) {
  failures.push(`the run stopped: ${error}`);
}
process.stdout.write(JSON.stringify({ pages, merged, records, warnings, failures, sent }) + "\n");
process.exit(failures.length || warnings.length ? 1 : 0);
