// The desktop's softphone (issue 15): JsSIP (bundled at set-up from the npm lockfile)
// registered to Asterisk over its SIP WebSocket, with the credentials the server hands the
// signed-in agent (cti/api/softphones.py). It rings, answers, hangs up, mutes, holds and
// sends DTMF; what it cannot do it says in words (wrong credentials, the phone server not
// reachable, no microphone). Counting rings and withdrawing an offer stay the server's.
import JsSIP from "/static/jssip.js";

const REGISTER_S = 10; // no answer to the registration within this: say so
const CAUSES = {
  "Authentication Error": "the softphone's credentials were refused by the phone server",
  "Connection Error": "the phone server cannot be reached",
  "Request Timeout": "the phone server did not answer",
};

export async function microphone(deviceId) {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: deviceId ? { deviceId } : true });
    for (const track of stream.getTracks()) track.stop();
    return null;
  } catch (error) {
    if (error.name === "NotAllowedError") return "no permission to use the microphone";
    if (error.name === "NotFoundError") return "no microphone was found";
    return `the microphone cannot be used (${error.name})`;
  }
}

export class Softphone {
  constructor(config, on) {
    this.config = config;
    this.on = on; // { status(text, ok), ringing(), connected(), ended(why) }
    this.session = null;
    this.muted = false;
    this.held = false;
    this.input = "";
    this.audio = new Audio();
    this.audio.autoplay = true;
  }

  // Resolves once registered; rejects with the reason in words.
  start() {
    const { websocket_url: url, uri, username, password } = this.config;
    return new Promise((resolve, reject) => {
      const give = (why) => { clearTimeout(late); this.on.status(`Phone not registered: ${why}`, false); reject(new Error(why)); };
      const late = setTimeout(() => give(`${CAUSES["Request Timeout"]} (${url})`), REGISTER_S * 1000);
      let socket;
      try {
        socket = new JsSIP.WebSocketInterface(url);
      } catch (error) {
        give(`the phone server's address is wrong (${url})`);
        return;
      }
      this.ua = new JsSIP.UA({
        sockets: [socket], uri, authorization_user: username, password,
        register: true, session_timers: false, register_expires: 120,
        user_agent: "CTI agent desktop",
      });
      this.ua.on("registered", () => {
        clearTimeout(late);
        this.on.status(`Phone ${username} registered`, true);
        resolve();
      });
      this.ua.on("registrationFailed", (e) => give(CAUSES[e.cause] ? `${CAUSES[e.cause]} (${url})` : e.cause));
      this.ua.on("disconnected", () => this.on.status(`Phone ${username}: ${CAUSES["Connection Error"]}, retrying`, false));
      this.ua.on("unregistered", () => this.on.status(`Phone ${username} not registered`, false));
      this.ua.on("newRTCSession", ({ session, originator }) => this.incoming(session, originator));
      this.ua.start();
    });
  }

  incoming(session, originator) {
    if (originator !== "remote") return;
    if (this.session) { session.terminate({ status_code: 486 }); return; } // one call at a time
    this.session = session;
    this.muted = this.held = false;
    session.on("peerconnection", ({ peerconnection }) => this.listen(peerconnection));
    session.on("confirmed", () => this.on.connected());
    const done = (e) => {
      if (this.session === session) this.session = null;
      this.on.ended(e.cause);
    };
    session.on("ended", done);
    session.on("failed", done);
    this.on.ringing();
  }

  listen(connection) {
    connection.addEventListener("track", (event) => { this.audio.srcObject = event.streams[0]; });
  }

  get ringing() { return Boolean(this.session && this.session.isInProgress() && this.session.direction === "incoming"); }

  get talking() { return Boolean(this.session && this.session.isEstablished()); }

  answer() {
    if (!this.ringing) return;
    const audio = this.input ? { deviceId: this.input } : true;
    this.session.answer({ mediaConstraints: { audio, video: false }, pcConfig: { iceServers: this.config.ice_servers || [] } });
    if (this.session.connection) this.listen(this.session.connection);
  }

  hangUp() { if (this.session) this.session.terminate(); }

  mute(on) {
    if (!this.talking) return;
    if (on) this.session.mute({ audio: true }); else this.session.unmute({ audio: true });
    this.muted = on;
  }

  hold(on) {
    if (!this.talking) return;
    if (on) this.session.hold(); else this.session.unhold();
    this.held = on;
  }

  dtmf(key) { if (this.talking) this.session.sendDTMF(key, { transportType: "RFC2833" }); }

  async speaker(deviceId) {
    if (typeof this.audio.setSinkId === "function") await this.audio.setSinkId(deviceId || "");
  }

  async packets() { // getStats(): audio packets sent and received on the call
    const counted = { sent: 0, received: 0 };
    const connection = this.session && this.session.connection;
    if (!connection) return counted;
    (await connection.getStats()).forEach((s) => {
      if (s.kind !== "audio") return;
      if (s.type === "outbound-rtp") counted.sent += s.packetsSent;
      if (s.type === "inbound-rtp") counted.received += s.packetsReceived;
    });
    return counted;
  }

  stop() {
    if (this.session) this.session.terminate();
    if (this.ua) this.ua.stop();
  }
}
