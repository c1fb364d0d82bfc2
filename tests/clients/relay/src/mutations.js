// The mutations of the persona list: each payload updates the normalised store,
// and the connection's edges follow @appendNode and @deleteEdge.
import { graphql } from "relay-runtime";

graphql`
  mutation SignUpMutation($input: SignUpInput!) {
    signUp(input: $input) {
      token
      errors {
        message
      }
    }
  }
`;

graphql`
  mutation CreatePersonaMutation($input: CreatePersonaInput!, $connections: [ID!]!) {
    createPersona(input: $input) {
      persona @appendNode(connections: $connections, edgeTypeName: "PersonaEdge") {
        id
        ...PersonaCard_persona
      }
      errors {
        message
      }
    }
  }
`;

graphql`
  mutation RenamePersonaMutation($input: UpdatePersonaInput!) {
    updatePersona(input: $input) {
      persona {
        ...PersonaCard_persona
      }
      errors {
        __typename
        message
      }
    }
  }
`;

graphql`
  mutation DeletePersonaMutation($input: DeleteInput!, $connections: [ID!]!) {
    deletePersona(input: $input) {
      deletedId @deleteEdge(connections: $connections)
      errors {
        message
      }
    }
  }
`;
