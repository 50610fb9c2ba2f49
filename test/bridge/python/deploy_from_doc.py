"""A deployer written from docs/protocol.md "Deploy rights" alone (pyzmq, msgpack, cryptography):
sends a checkpoint directory to a CurveZMQ server and prints the server's answer as JSON.

usage: deploy_from_doc.py SERVER SERVER_PUBLIC_Z85 DEPLOYER_PUBLIC_Z85 DEPLOYER_SECRET_Z85 CHECKPOINT_DIR
"""
import hashlib
import hmac
import json
import os
import struct
import sys
import time

import msgpack
import zmq
from zmq.utils import z85
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey


def main() -> int:
    server, server_pub, pub, sec, ckpt = sys.argv[1:6]
    files = {}
    for root, _, names in os.walk(ckpt):
        for n in names:
            path = os.path.join(root, n)
            files[os.path.relpath(path, ckpt).replace(os.sep, "/")] = open(path, "rb").read()
    t = time.time()
    items = ["sim2real-deploy/1", struct.pack("<d", t).hex(), server_pub]
    for n in sorted(files, key=lambda n: n.encode()):
        items += [n, hashlib.sha256(files[n]).hexdigest()]
    text = "\n".join(items) + "\n"
    shared = X25519PrivateKey.from_private_bytes(z85.decode(sec)).exchange(X25519PublicKey.from_public_bytes(z85.decode(server_pub)))
    proof = hmac.new(shared, text.encode(), hashlib.sha256).digest()

    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.curve_serverkey = server_pub.encode()
    s.curve_publickey = pub.encode()
    s.curve_secretkey = sec.encode()
    s.connect(server)
    s.send(msgpack.packb({"type": "deploy", "seq": 1, "time": t, "files": files, "deployer": pub, "proof": proof}, use_bin_type=True))
    if not s.poll(60000):  # ms: a hang detector, the answer comes at once
        print(json.dumps({"answer": None}))
        return 1
    m = msgpack.unpackb(s.recv(), raw=False)
    print(json.dumps({"answer": m.get("type"), "code": m.get("code"), "message": m.get("message"), "policy_version": m.get("policy_version")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
