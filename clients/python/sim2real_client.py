#!/usr/bin/python3
"""sim2real robot client, protocol v1 (docs/protocol.md), for Python 3 with pyzmq and msgpack only.

Works with Debian's packages (``apt-get install python3-zmq python3-msgpack``; run it with
``/usr/bin/python3`` if another Python comes first on PATH).

    from sim2real_client import Sim2RealClient

    client = Sim2RealClient("tcp://127.0.0.1:5555", "my-robot", contract, safe_action=[0, 0],
                            control_hz=10)
    client.connect()                       # hello -> welcome (raises Refused / TimeoutError)
    client.start_episode(0, seed=1)
    prev = None
    for step in range(400):
        r = client.act(0, step, read_sensors(), prev)   # waits at most the deadline
        drive(client.to_physical(r.action))             # r.action is normalised, clamped, safe on a miss
        prev = dict(reward=0.0, terminated=False, truncated=False, applied=r.action)
    client.end_episode(0, success=True, terminated=True, truncated=False)
    client.close()                         # bye

The client is single-threaded: it sends heartbeats and notices a silent server whenever you call
``act``, ``poll`` or ``sleep``. A robot that does not step for longer than ``heartbeat_ms`` must
call ``poll()`` (or ``client.sleep(seconds)`` instead of ``time.sleep``) or the server drops it.

Safety lives here, as the protocol requires: every action is clamped to [-1, 1] (NaN -> the safe
action's value); no action by the deadline -> the safe action, flagged ``missed``; after
``max_misses`` consecutive misses, or when the server has been silent for heartbeat_ms x liveness,
the client holds the safe action and reconnects (hello again) with exponential backoff.

Run as a script it is a fake robot for testing a server; see ``--help``.
"""

import argparse
import json
import math
import random
import signal
import struct
import sys
import time
from typing import Any, Dict, List, NamedTuple, Optional, Sequence

import msgpack
import zmq

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 1 << 20

__all__ = ["Sim2RealClient", "ActResult", "Refused", "load_contract", "PROTOCOL_VERSION"]


class Refused(Exception):
    """The server refused the robot (``error`` with ``fatal: true`` in answer to hello)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ActResult(NamedTuple):
    action: List[float]
    """Normalised action to apply, clamped to [-1, 1]; the safe action when ``missed``."""
    missed: bool
    """No (usable) action arrived by the deadline, or the client is holding the safe action."""
    holding: bool
    """The client holds the safe action until the server answers again (reconnecting)."""
    clamped: bool
    """The server's action had values outside [-1, 1] (or NaN) and was clamped."""
    policy_id: str
    policy_version: int
    latency_ms: float
    """Observation sent -> action received, ms (NaN on a miss)."""


def _size(components: Sequence[Dict[str, Any]]) -> int:
    return sum(int(c["size"]) for c in components)


def _bounds(components: Sequence[Dict[str, Any]]):
    low: List[float] = []
    high: List[float] = []
    for c in components:
        for i in range(int(c["size"])):
            low.append(float(c["low"][i] if isinstance(c["low"], list) else c["low"]))
            high.append(float(c["high"][i] if isinstance(c["high"], list) else c["high"]))
    return low, high


def f32_bytes(values: Sequence[float]) -> bytes:
    """Little-endian float32 bytes, the encoding of every float vector on the wire."""
    return struct.pack("<%df" % len(values), *values)


def f32_values(data: bytes) -> List[float]:
    if len(data) % 4:
        raise ValueError("expected a multiple of 4 bytes (float32), got %d" % len(data))
    return list(struct.unpack("<%df" % (len(data) // 4), data))


def load_contract(path: str) -> Dict[str, Any]:
    """Read a JSON file holding either a contract ``{obs: [...], action: [...]}`` or a scenario
    (as JSON: ``{name, contract, safe_action, control: {rate_hz}}``). Returns
    ``{contract, safe_action?, control_hz?, scenario?}``."""
    with open(path, "r", encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a JSON object (a contract or a scenario), got {type(doc).__name__}")
    out: Dict[str, Any] = {}
    if "contract" in doc:
        out["contract"] = doc["contract"]
        if "safe_action" in doc:
            out["safe_action"] = [float(v) for v in doc["safe_action"]]
        rate = (doc.get("control") or {}).get("rate_hz")
        if rate:
            out["control_hz"] = float(rate)
        if isinstance(doc.get("name"), str):
            out["scenario"] = doc["name"]
    else:
        out["contract"] = doc
    c = out["contract"]
    if not (isinstance(c, dict) and isinstance(c.get("obs"), list) and isinstance(c.get("action"), list)):
        raise ValueError(f"{path}: expected a contract {{obs: [component], action: [component]}} or a scenario with one")
    for side in ("obs", "action"):
        for comp in c[side]:
            # Only the fields the protocol defines travel in hello.
            for k in ("name", "size", "unit", "low", "high"):
                if k not in comp:
                    raise ValueError(f"{path}: contract.{side} component {comp.get('name', '?')!r} lacks {k!r}")
    return out


class Sim2RealClient:
    """The robot side of protocol v1 over one ZeroMQ DEALER socket."""

    def __init__(
        self,
        server: str,
        robot_id: str,
        contract: Dict[str, Any],
        safe_action: Sequence[float],
        deadline_s: Optional[float] = None,
        max_misses: int = 3,
        control_hz: Optional[float] = None,
        scenario: Optional[str] = None,
        curve: Optional[Dict[str, str]] = None,
        backoff_s=(0.1, 5.0),
        log=None,
        context: Optional[zmq.Context] = None,
    ):
        """``contract``: ``{obs: [...], action: [...]}``, components ``{name, size, unit, low, high}``.
        ``safe_action``: normalised, applied on a miss. ``deadline_s``: how long ``act`` waits
        (default one control period, else 0.1 s). ``curve``: ``{server_key, public_key,
        secret_key}`` (Z85) for a CurveZMQ server."""
        self.server = server
        self.robot_id = robot_id
        self.contract = {
            side: [{k: comp[k] for k in ("name", "size", "unit", "low", "high")} for comp in contract[side]]
            for side in ("obs", "action")
        }
        self.obs_size = _size(self.contract["obs"])
        self.act_size = _size(self.contract["action"])
        self.act_low, self.act_high = _bounds(self.contract["action"])
        self.safe_action = [float(v) for v in safe_action]
        if len(self.safe_action) != self.act_size:
            raise ValueError(f"safe_action: expected {self.act_size} values, got {len(self.safe_action)}")
        if any(not (-1.0 <= v <= 1.0) for v in self.safe_action):
            raise ValueError("safe_action: expected normalised values in [-1, 1]")
        self.control_hz = control_hz
        self.deadline_s = deadline_s if deadline_s is not None else (1.0 / control_hz if control_hz else 0.1)
        self.max_misses = max_misses
        self.scenario = scenario
        self.curve = curve
        self.backoff_s = backoff_s
        self._log = log or (lambda line: None)
        self._ctx = context or zmq.Context.instance()
        self._sock: Optional[zmq.Socket] = None
        self._seq = 0
        self._last_sent = 0.0
        self._last_heard = 0.0
        self._welcome: Optional[Dict[str, Any]] = None
        self._pending_seq: Optional[int] = None
        self._reply: Optional[Dict[str, Any]] = None
        self._refusal: Optional[Refused] = None
        # The last duplicate_robot refusal while waiting for a welcome: the reason given if none comes.
        self._duplicate: Optional[str] = None
        self._misses = 0
        self._reconnecting = False
        self._next_attempt = 0.0
        self._backoff = backoff_s[0]
        self._hello_sent = 0.0
        self._hello_left = False
        self._sent_ok = False
        self._warned_clamp = False
        self._closed = False
        self.heartbeat_ms = 250
        self.liveness = 4
        self.session = ""
        self.policy_id = ""
        self.policy_version = 0
        self.missed_steps = 0
        self.reconnects = 0

    # -- connection ---------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._welcome is not None

    @property
    def holding(self) -> bool:
        return self._reconnecting

    def _open_socket(self) -> None:
        if self._sock is not None:
            self._sock.close(linger=0)
        s = self._ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        # Queue nothing for a server that is not there (the deadline and liveness logic handle it).
        s.setsockopt(zmq.IMMEDIATE, 1)
        s.setsockopt(zmq.SNDHWM, 100)
        s.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME_BYTES + 1024)
        if self.curve:
            s.curve_serverkey = self.curve["server_key"].encode()
            s.curve_publickey = self.curve["public_key"].encode()
            s.curve_secretkey = self.curve["secret_key"].encode()
        s.connect(self.server)
        self._sock = s

    def _send(self, msg: Dict[str, Any]) -> int:
        """Number, stamp and send one message; dropped (like any message to an absent server) if it
        cannot leave now."""
        self._seq += 1
        msg["seq"] = self._seq
        msg["time"] = time.time()
        self._last_sent = time.monotonic()
        self._sent_ok = False
        if self._sock is not None:
            try:
                self._sock.send(msgpack.packb(msg, use_bin_type=True), zmq.NOBLOCK)
                self._sent_ok = True
            except zmq.Again:
                pass  # not connected (IMMEDIATE) or the queue is full
        return self._seq

    def _hello(self) -> bool:
        """Send hello; True when it left (a DEALER in IMMEDIATE mode refuses before it is connected)."""
        # A hello starts a new session: it carries seq 1, the next message 2, and so on.
        self._seq = 0
        msg: Dict[str, Any] = {
            "type": "hello",
            "protocol": PROTOCOL_VERSION,
            "robot_id": self.robot_id,
            "contract": self.contract,
        }
        if self.scenario:
            msg["scenario"] = self.scenario
        if self.control_hz:
            msg["control_hz"] = float(self.control_hz)
        if self.session:
            # A reconnection takes the session back (episodes, recording), and is not refused as
            # a duplicate of the robot's own stale session.
            msg["resume"] = self.session
        self._send(msg)
        if self._sent_ok:
            self._hello_sent = time.monotonic()
        return self._sent_ok

    def connect(self, timeout_s: float = 5.0) -> Dict[str, Any]:
        """Say hello until welcomed. Returns the welcome; raises Refused (contract_mismatch,
        protocol_version, ...) or TimeoutError."""
        self._welcome = None
        self._refusal = None
        self._duplicate = None
        self._open_socket()
        end = time.monotonic() + timeout_s
        hello_left = False
        while self._welcome is None:
            now = time.monotonic()
            if now >= end:
                self._sock.close(linger=0)
                self._sock = None
                if self._duplicate is not None:
                    # Refused as a duplicate all along: another robot uses this id.
                    raise Refused("duplicate_robot", f"{self.server} refused robot {self.robot_id} for {timeout_s:g} s: {self._duplicate}")
                raise TimeoutError(f"no welcome from {self.server} within {timeout_s:g} s")
            # Say hello as soon as the socket is connected; repeat it if no welcome came within 1 s.
            if not hello_left or now - self._hello_sent >= 1.0:
                hello_left = self._hello()
            self._pump(min(0.01 if not hello_left else 0.05, max(0.0, end - now)))
            if self._welcome is not None:
                break
            if self._refusal is not None:
                r, self._refusal = self._refusal, None
                self._sock.close(linger=0)
                self._sock = None
                raise r
        return self._welcome

    def _on_welcome(self, m: Dict[str, Any]) -> None:
        self._welcome = m
        self.session = m.get("session", "")
        self.heartbeat_ms = int(m.get("heartbeat_ms", 250))
        self.liveness = int(m.get("liveness", 4))
        self.policy_id = m.get("policy_id", "")
        self.policy_version = int(m.get("policy_version", 0))
        self._last_heard = time.monotonic()
        self._log(f"connected to {self.server}: policy {self.policy_id} v{self.policy_version}")

    def _lost(self, why: str) -> None:
        if self._reconnecting or self._closed:
            return
        self._log(f"lost the server ({why}); holding the safe action and reconnecting")
        self._welcome = None
        self._reconnecting = True
        self._backoff = self.backoff_s[0]
        self._next_attempt = time.monotonic()

    def _maintain(self) -> None:
        """Heartbeats, liveness and reconnection; called from act/poll/sleep."""
        now = time.monotonic()
        if self._reconnecting:
            if self._welcome is not None:
                self._reconnecting = False
                self._misses = 0
                self.reconnects += 1
                return
            if now >= self._next_attempt:
                # A fresh socket (a new routing id; the hello's resume asks for the session back),
                # a hello as soon as it is connected, at least 0.5 s for the welcome, then the backoff delay.
                self._open_socket()
                self._hello_left = self._hello()
                self._next_attempt = now + max(0.5, self._backoff) + self._backoff
                self._backoff = min(self.backoff_s[1], self._backoff * 2)
            elif not self._hello_left:
                self._hello_left = self._hello()
            return
        if self._welcome is None:
            return
        hb = self.heartbeat_ms / 1000.0
        if now - self._last_heard > hb * self.liveness:
            self._lost(f"no word from the server for {int((now - self._last_heard) * 1000)} ms")
        elif now - self._last_sent >= hb:
            self._send({"type": "heartbeat"})

    def _pump(self, wait_s: float) -> None:
        """Handle every message that arrives within ``wait_s`` (at least those already queued)."""
        if self._sock is None:
            if wait_s > 0:
                time.sleep(wait_s)
            return
        end = time.monotonic() + wait_s
        while True:
            left = end - time.monotonic()
            if not self._sock.poll(max(0, int(left * 1000)) if left > 0 else 0, zmq.POLLIN):
                return
            try:
                frames = self._sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                continue
            try:
                m = msgpack.unpackb(frames[0], raw=False)
                if not isinstance(m, dict) or not isinstance(m.get("type"), str):
                    raise ValueError("not a map with a type")
            except Exception as e:  # noqa: BLE001 - a bad frame from the server is ignored
                self._log(f"ignored a bad frame from the server: {e}")
                continue
            self._last_heard = time.monotonic()
            self._on_message(m)
            if self._reply is not None and self._pending_seq is None:
                return  # the awaited answer arrived

    def _on_message(self, m: Dict[str, Any]) -> None:
        t = m["type"]
        if t == "welcome":
            if self._welcome is None:
                self._on_welcome(m)
        elif t == "action":
            if self._pending_seq is not None and m.get("reply_to") == self._pending_seq:
                self._pending_seq = None
                self._reply = m
            # else: a late answer to a step already given up on, discarded
        elif t == "policy":
            self.policy_id = m.get("policy_id", self.policy_id)
            self.policy_version = int(m.get("policy_version", self.policy_version))
            self._log(f"server switched to policy {self.policy_id} v{self.policy_version}")
        elif t == "error":
            code, text, fatal = m.get("code", "?"), m.get("message", ""), bool(m.get("fatal"))
            self._log(f"server error {code}: {text}")
            if fatal and code == "duplicate_robot" and self._welcome is None:
                # A stale session of this robot times out within heartbeat_ms x liveness: the
                # hello is repeated once a second until then.
                self._duplicate = text
            elif fatal:
                if self._welcome is None and not self._reconnecting:
                    self._refusal = Refused(code, f"{self.server} refused robot {self.robot_id}: {text}")
                else:
                    self._lost(f"fatal error {code}")
            if self._pending_seq is not None and m.get("reply_to") == self._pending_seq:
                self._pending_seq = None
                self._reply = m
        # heartbeat, deployed and unknown types: nothing to do beyond liveness

    def poll(self) -> None:
        """Process what the server sent and keep heartbeats going (call this when idle)."""
        self._pump(0)
        self._maintain()

    def sleep(self, seconds: float) -> None:
        """time.sleep that keeps the session alive."""
        end = time.monotonic() + seconds
        while True:
            self.poll()
            left = end - time.monotonic()
            if left <= 0:
                return
            self._pump(min(left, self.heartbeat_ms / 2000.0))

    # -- episodes and steps -------------------------------------------------------------------

    def start_episode(self, episode: int, seed: Optional[int] = None, info: Optional[Dict[str, Any]] = None) -> None:
        self.poll()
        if self._welcome is None:
            return
        msg: Dict[str, Any] = {"type": "episode_start", "episode": int(episode)}
        if seed is not None:
            msg["seed"] = int(seed)
        if info:
            msg["info"] = info
        self._send(msg)

    def end_episode(self, episode: int, success: bool, terminated: bool, truncated: bool,
                    reward: Optional[float] = None, ret: Optional[float] = None, length: Optional[int] = None) -> None:
        self.poll()
        if self._welcome is None:
            return
        msg: Dict[str, Any] = {"type": "episode_end", "episode": int(episode), "success": bool(success),
                               "terminated": bool(terminated), "truncated": bool(truncated)}
        if reward is not None:
            msg["reward"] = float(reward)
        if ret is not None:
            msg["return"] = float(ret)
        if length is not None:
            msg["length"] = int(length)
        self._send(msg)

    def _safe(self, holding: bool) -> ActResult:
        self.missed_steps += 1
        return ActResult(list(self.safe_action), True, holding, False, self.policy_id, self.policy_version, math.nan)

    def act(self, episode: int, step: int, obs: Sequence[float], prev: Optional[Dict[str, Any]] = None) -> ActResult:
        """Send the observation (with the previous step's ``reward``, ``terminated``,
        ``truncated`` and ``applied`` action in ``prev``) and wait up to the deadline for the action."""
        if len(obs) != self.obs_size:
            raise ValueError(f"obs: expected {self.obs_size} values (contract), got {len(obs)}")
        self.poll()
        if self._welcome is None or self._reconnecting:
            return self._safe(True)
        if not all(math.isfinite(v) for v in obs):
            # The server would refuse it (non_finite): do not ask, act safely now.
            self._log(f"step {step}: non-finite observation, applying the safe action")
            return self._safe(False)
        msg: Dict[str, Any] = {"type": "obs", "episode": int(episode), "step": int(step), "obs": f32_bytes(obs)}
        if prev is not None:
            msg["reward"] = float(prev.get("reward", 0.0))
            msg["terminated"] = bool(prev.get("terminated", False))
            msg["truncated"] = bool(prev.get("truncated", False))
            if prev.get("applied") is not None:
                msg["applied"] = f32_bytes(prev["applied"])
        t0 = time.monotonic()
        self._reply = None
        self._pending_seq = self._send(msg)
        self._pump(self.deadline_s)
        reply, self._reply, self._pending_seq = self._reply, None, None
        action = None
        if reply is not None and reply.get("type") == "action":
            try:
                action = f32_values(reply["action"])
            except (KeyError, TypeError, ValueError):
                action = None
            if action is not None and len(action) != self.act_size:
                action = None
        if action is None:
            self._misses += 1
            if self._misses >= self.max_misses and not self._reconnecting:
                self._log(f"{self._misses} consecutive missed deadlines: holding the safe action until the server answers")
                self._lost(f"{self._misses} missed deadlines")
            return self._safe(self._reconnecting)
        self._misses = 0
        clamped = False
        for i, v in enumerate(action):
            if not math.isfinite(v):
                action[i] = self.safe_action[i]
                clamped = True
            elif v > 1.0 or v < -1.0:
                action[i] = 1.0 if v > 1.0 else -1.0
                clamped = True
        if clamped and not self._warned_clamp:
            self._warned_clamp = True
            self._log("server action outside [-1, 1] clamped (warning once)")
        self.policy_id = reply.get("policy_id", self.policy_id)
        self.policy_version = int(reply.get("policy_version", self.policy_version))
        return ActResult(action, False, False, clamped, self.policy_id, self.policy_version, (time.monotonic() - t0) * 1000.0)

    def to_physical(self, action: Sequence[float]) -> List[float]:
        """Normalised [-1, 1] -> the contract's units: -1 -> low, +1 -> high (clamped)."""
        out = []
        for a, lo, hi in zip(action, self.act_low, self.act_high):
            a = max(-1.0, min(1.0, a))
            out.append(lo + (a + 1.0) * 0.5 * (hi - lo))
        return out

    def close(self) -> None:
        """Say bye and close the socket."""
        if self._closed:
            return
        if self._welcome is not None:
            self._send({"type": "bye"})
        self._closed = True
        if self._sock is not None:
            # Let what is still queued (the last episode_end, the bye) leave: up to 200 ms.
            self._sock.close(linger=200)
            self._sock = None

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        self.close()


# -- fake robot (python3 sim2real_client.py --help) -----------------------------------------------

_Z85 = set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")


def _is_z85_key(text: str) -> bool:
    return len(text) == 40 and all(c in _Z85 for c in text)


def read_key(path: str) -> str:
    """A CurveZMQ key file: the first line that is neither empty nor a # comment, Z85."""
    with open(path, "r", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                if not _is_z85_key(line):
                    raise ValueError(f"{path}: expected a 40-character Z85 CurveZMQ key")
                return line
    raise ValueError(f"{path}: expected a CurveZMQ key file, got no key")


def _fake_obs(rng: random.Random, low: List[float], high: List[float]) -> List[float]:
    """Uniform in the contract's ranges, rounded to float32 (what the wire carries)."""
    vals = [rng.uniform(lo, hi) if math.isfinite(lo) and math.isfinite(hi) else rng.uniform(-1, 1) for lo, hi in zip(low, high)]
    return f32_values(f32_bytes(vals))


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(
        description="Fake robot: drive N control steps against a sim2real policy server and print one JSON summary line.",
    )
    p.add_argument("--server", default="tcp://127.0.0.1:5555", help="server endpoint (default %(default)s)")
    p.add_argument("--contract", required=True, help="JSON file: a contract {obs, action} or a scenario as JSON {name, contract, safe_action, control}")
    p.add_argument("--steps", type=int, default=100, help="control steps in total (default %(default)s)")
    p.add_argument("--episode-steps", type=int, default=0, help="steps per episode (default: all steps in one episode)")
    p.add_argument("--robot-id", default="py-robot")
    p.add_argument("--safe-action", help="comma-separated normalised safe action (default: the scenario's, else zeros)")
    p.add_argument("--rate-hz", type=float, default=0.0, help="pace the loop at this rate (default: lock-step, as fast as the server answers)")
    p.add_argument("--deadline-ms", type=float, default=0.0, help="deadline per step (default: one control period, else 100 ms)")
    p.add_argument("--seed", type=int, default=0, help="seed of the fake observations")
    p.add_argument("--connect-timeout", type=float, default=5.0, help="seconds to wait for the welcome")
    p.add_argument("--curve-server-key", help="CurveZMQ: the server's public key, Z85 or a .pub file (write --curve-server-key=KEY: a Z85 key may start with '-')")
    p.add_argument("--curve-keys", help="CurveZMQ: this robot's key pair PREFIX.key / PREFIX.pub (as `sim2real keys generate` writes them)")
    p.add_argument("--curve-public-key", help="CurveZMQ: this robot's public key, Z85 (instead of --curve-keys)")
    p.add_argument("--curve-secret-key", help="CurveZMQ: this robot's secret key, Z85 (instead of --curve-keys)")
    p.add_argument("--trace", action="store_true", help="include every step (obs, action, missed) in the summary")
    p.add_argument("--verbose", action="store_true", help="log client events to stderr")
    a = p.parse_args(argv)

    try:
        spec = load_contract(a.contract)
    except (OSError, ValueError) as e:
        print(f"sim2real_client: {e}", file=sys.stderr)
        return 2
    contract = spec["contract"]
    act_size = _size(contract["action"])
    if a.safe_action:
        safe = [float(v) for v in a.safe_action.split(",")]
    else:
        safe = spec.get("safe_action", [0.0] * act_size)
    rate = a.rate_hz or spec.get("control_hz") or None
    curve = None
    if a.curve_server_key or a.curve_keys or a.curve_public_key or a.curve_secret_key:
        try:
            public, secret = a.curve_public_key, a.curve_secret_key
            if a.curve_keys:
                public, secret = read_key(a.curve_keys + ".pub"), read_key(a.curve_keys + ".key")
            if not (a.curve_server_key and public and secret):
                raise ValueError("CurveZMQ needs --curve-server-key and the robot's keys (--curve-keys PREFIX, or --curve-public-key and --curve-secret-key)")
            server_key = a.curve_server_key if _is_z85_key(a.curve_server_key) else read_key(a.curve_server_key)
            for name, key in (("--curve-public-key", public), ("--curve-secret-key", secret)):
                if not _is_z85_key(key):
                    raise ValueError(f"{name}: expected a 40-character Z85 key")
        except (OSError, ValueError) as e:
            print(f"sim2real_client: {e}", file=sys.stderr)
            return 2
        curve = {"server_key": server_key, "public_key": public, "secret_key": secret}
    log = (lambda line: print(f"sim2real_client: {line}", file=sys.stderr)) if a.verbose else None
    try:
        client = Sim2RealClient(a.server, a.robot_id, contract, safe,
                                deadline_s=(a.deadline_ms / 1000.0) if a.deadline_ms else None,
                                control_hz=rate, scenario=spec.get("scenario"), curve=curve, log=log)
    except ValueError as e:
        print(f"sim2real_client: {e}", file=sys.stderr)
        return 2

    stop = {"now": False}
    signal.signal(signal.SIGINT, lambda *_: stop.__setitem__("now", True))
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("now", True))

    try:
        welcome = client.connect(a.connect_timeout)
    except (Refused, TimeoutError) as e:
        print(json.dumps({"ok": False, "error": str(e)}), flush=True)
        return 1

    rng = random.Random(a.seed)
    obs_low, obs_high = _bounds(contract["obs"])
    per_episode = a.episode_steps if a.episode_steps > 0 else max(1, a.steps)
    trace = []
    latencies: List[float] = []
    served = missed = clamped = episodes = 0
    total_return = 0.0
    step_in_ep = 0
    episode = -1
    prev = None
    ep_return = 0.0
    period = 1.0 / a.rate_hz if a.rate_hz else 0.0
    next_tick = time.monotonic()
    for k in range(a.steps):
        if stop["now"]:
            break
        if step_in_ep == 0:
            episode += 1
            prev = None
            ep_return = 0.0
            client.start_episode(episode, seed=a.seed * 1000 + episode, info={"fake_robot": True})
        obs = _fake_obs(rng, obs_low, obs_high)
        r = client.act(episode, step_in_ep, obs, prev)
        if r.missed:
            missed += 1
        else:
            served += 1
            latencies.append(r.latency_ms)
        clamped += int(r.clamped)
        # A made-up reward: small penalty on effort.
        reward = -0.01 * sum(v * v for v in r.action)
        ep_return += reward
        last = step_in_ep == per_episode - 1 or k == a.steps - 1
        if a.trace:
            trace.append({"episode": episode, "step": step_in_ep, "obs": obs, "action": r.action, "missed": r.missed,
                          "policy_version": r.policy_version})
        prev = {"reward": reward, "terminated": False, "truncated": last, "applied": r.action}
        step_in_ep += 1
        if last:
            client.end_episode(episode, success=False, terminated=False, truncated=True, reward=reward,
                               ret=ep_return, length=step_in_ep)
            total_return += ep_return
            episodes += 1
            step_in_ep = 0
        if period:
            next_tick += period
            delay = next_tick - time.monotonic()
            if delay > 0:
                client.sleep(delay)
            else:
                next_tick = time.monotonic()
    client.close()
    latencies.sort()
    summary: Dict[str, Any] = {
        "ok": True,
        "server": a.server,
        "robot_id": a.robot_id,
        "session": welcome.get("session"),
        "policy_id": client.policy_id,
        "policy_version": client.policy_version,
        "steps": served + missed,
        "episodes": episodes,
        "served": served,
        "missed": missed,
        "clamped": clamped,
        "reconnects": client.reconnects,
        "return": total_return,
        "latency_ms": {
            "mean": sum(latencies) / len(latencies) if latencies else None,
            "p50": latencies[len(latencies) // 2] if latencies else None,
            "max": latencies[-1] if latencies else None,
        },
    }
    if a.trace:
        summary["trace"] = trace
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
