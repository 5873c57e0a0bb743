// A realtime-js client listening to postgres_changes, driven over stdin/stdout (one JSON object
// per line) so the Python tests can script it.
// Usage: node postgres_changes_client.mjs URL KEY TOPIC BINDINGS_JSON [PRESENCE_KEY] [ACCESS_TOKEN]
//   BINDINGS_JSON: [{"event":"*","schema":"public","table":"comments","filter":"room_id=eq.abc"}, ...]
// Commands in:  {"cmd":"track","payload":{...}} | {"cmd":"exit"}
// Events out:   {"type":"status","status":S,"error":E} | {"type":"system","payload":{...}}
//               {"type":"change","binding":I,"payload":P}  (P as realtime-js hands it to the callback)
//               {"type":"tracked","result":R}
import { RealtimeClient } from '@supabase/realtime-js'
import WebSocket from 'ws'
import readline from 'node:readline'

const [url, key, topic, bindingsJson, presenceKey, accessToken] = process.argv.slice(2)
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

const client = new RealtimeClient(`${url}/realtime/v1`, { params: { apikey: key }, transport: WebSocket })
if (accessToken) await client.setAuth(accessToken)
const channel = client.channel(topic, {
  config: { broadcast: { self: true }, presence: { key: presenceKey ?? '' } },
})
JSON.parse(bindingsJson).forEach((binding, index) => {
  channel.on('postgres_changes', binding, (payload) => out({ type: 'change', binding: index, payload }))
})
channel.on('system', {}, (payload) => out({ type: 'system', payload }))
channel.subscribe((status, err) => out({ type: 'status', status, error: err ? String(err) : null }))

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  const command = JSON.parse(line)
  try {
    if (command.cmd === 'track') out({ type: 'tracked', result: await channel.track(command.payload) })
    else if (command.cmd === 'exit') {
      await client.removeAllChannels()
      client.disconnect()
      out({ type: 'exited' })
      process.exit(0)
    }
  } catch (error) {
    out({ type: 'error', error: String(error) })
  }
})
rl.on('close', () => process.exit(0))
