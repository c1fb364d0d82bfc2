// The documents of a persona list, as a Relay app writes them beside its
// components; relay-compiler turns each into an artifact in __generated__/.
// (Without Babel's relay plugin these tags are never run: the client imports
// the artifacts.)
import { graphql } from "relay-runtime";

graphql`
  query PersonasQuery($count: Int, $cursor: String) {
    ...PersonaList_query @arguments(count: $count, cursor: $cursor)
  }
`;

graphql`
  fragment PersonaList_query on Query
  @refetchable(queryName: "PersonaListPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 2 }, cursor: { type: "String" }) {
    personas(first: $count, after: $cursor) @connection(key: "PersonaList_personas") {
      __id
      totalCount
      edges {
        node {
          id
          ...PersonaCard_persona
        }
      }
    }
  }
`;

graphql`
  fragment PersonaCard_persona on Persona @refetchable(queryName: "PersonaCardRefetchQuery") {
    id
    name
    aiSettings {
      model
      temperature
    }
  }
`;
