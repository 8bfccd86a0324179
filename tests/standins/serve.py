"""Run a stand-in archive as its own process (for benchmarks): ``python -m standins.serve``.

    python -m standins.serve zenodo --port 8123 --token T [--discard]

``--discard`` hashes uploads without keeping them on disk. ``GET /_standin/uploads``
answers, for every upload, its bytes and the seconds from the request's
headers to its last byte, measured by the server for every client alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from tornado import httpserver, web
from tornado.ioloop import IOLoop


class Uploads(web.RequestHandler):
    def initialize(self, state: object) -> None:
        self.state = state

    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(self.state.uploads))  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["zenodo", "invenio-rdm"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--discard", action="store_true")
    args = parser.parse_args()
    if args.kind == "zenodo":
        from standins.zenodo import ZenodoState as State
        from standins.zenodo import make_app
    else:
        from standins.invenio_rdm import RdmState as State  # type: ignore[assignment]
        from standins.invenio_rdm import make_app  # type: ignore[assignment]
    state = State({args.token: "bench"}, keep_content=not args.discard)
    app = make_app(state)  # type: ignore[arg-type]
    app.add_handlers(".*", [(r"/_standin/uploads", Uploads, {"state": state})])
    asyncio.set_event_loop(asyncio.new_event_loop())
    server = httpserver.HTTPServer(app, max_body_size=1 << 40, chunk_size=1 << 20)
    server.listen(args.port, "127.0.0.1")
    print(f"listening on http://127.0.0.1:{args.port}", flush=True)
    IOLoop.current().start()


if __name__ == "__main__":
    main()
