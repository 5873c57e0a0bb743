// A realtime-js client driven over stdin/stdout with one JSON object per line, so the Python
// tests can script it. Usage: node realtime_client.mjs URL KEY TOPIC PRESENCE_KEY [HEARTBEAT_MS]
// [ACCESS_TOKEN] (a signed-in user's token, as after setAuth; without it only the API key)
// Commands in:  {"cmd":"track","payload":{...}} | {"cmd":"untrack"} | {"cmd":"send","event":E,"payload":{...}}
//               {"cmd":"state"} | {"cmd":"leave"} | {"cmd":"exit"}
// Events out:   {"type":"status","status":S} | {"type":"broadcast","event":E,"payload":P}
//               {"type":"presence","event":"sync"|"join"|"leave","key":K,"state":{...}}
//               {"type":"state","state":{...}} | {"type":"sent","result":R} | {"type":"heartbeat","status":S}
import { RealtimeClient } from '@supabase/realtime-js'
import WebSocket from 'ws'
import readline from 'node:readline'

const [url, key, topic, presenceKey, heartbeatMs, accessToken] = process.argv.slice(2)
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

const client = new RealtimeClient(`${url}/realtime/v1`, {
  params: { apikey: key },
  transport: WebSocket,
  heartbeatIntervalMs: heartbeatMs ? Number(heartbeatMs) : 25000,
  heartbeatCallback: (status) => out({ type: 'heartbeat', status }),
})
if (accessToken) await client.setAuth(accessToken)
const channel = client.channel(topic, {
  config: { broadcast: { self: true, ack: true }, presence: { key: presenceKey } },
})
const snapshot = () => channel.presenceState()
channel
  .on('broadcast', { event: '*' }, (msg) => out({ type: 'broadcast', event: msg.event, payload: msg.payload }))
  .on('presence', { event: 'sync' }, () => out({ type: 'presence', event: 'sync', state: snapshot() }))
  .on('presence', { event: 'join' }, ({ key }) => out({ type: 'presence', event: 'join', key, state: snapshot() }))
  .on('presence', { event: 'leave' }, ({ key }) => out({ type: 'presence', event: 'leave', key, state: snapshot() }))
  .on('postgres_changes', { event: '*', schema: 'public', table: 'comments', filter: 'room_id=eq.abc' }, () => {})
  .subscribe((status, err) => out({ type: 'status', status, error: err ? String(err) : null }))

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  const command = JSON.parse(line)
  try {
    if (command.cmd === 'track') out({ type: 'tracked', result: await channel.track(command.payload) })
    else if (command.cmd === 'untrack') out({ type: 'untracked', result: await channel.untrack() })
    else if (command.cmd === 'send')
      out({ type: 'sent', result: await channel.send({ type: 'broadcast', event: command.event, payload: command.payload }) })
    else if (command.cmd === 'state') out({ type: 'state', state: snapshot() })
    else if (command.cmd === 'leave') out({ type: 'left', result: await channel.unsubscribe() })
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
