// Subscribe with the graphql-ws client (graphql-transport-ws) and print one JSON
// line per event: {"next": result}, {"error": errors}, {"closed": code, "reason": text}.
// Usage: node subscribe.mjs <ws url> <token or ""> <query> <events to wait for>
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, query, count] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
  retryAttempts: 0,
  lazy: false,
  on: {
    connected: () => print({ connected: true }),
    closed: (event) => print({ closed: event.code, reason: event.reason }),
  },
});

let seen = 0;
client.subscribe(
  { query },
  {
    next: (result) => {
      print({ next: result });
      seen += 1;
      if (seen >= Number(count)) client.dispose().then(() => process.exit(0));
    },
    error: (error) => {
      print({ error: Array.isArray(error) ? error : String(error.code ?? error) });
      process.exit(0);
    },
    complete: () => process.exit(0),
  },
);
