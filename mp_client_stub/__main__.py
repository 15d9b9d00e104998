"""``python -m mp_client_stub demo [--base-url URL] [--timeout SECONDS] [--password P]``."""
from __future__ import annotations

import argparse
import sys

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mp_client_stub",
                                     description="身后一件事一次办：模拟小程序，经 HTTP 走完整个办理流程")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="窗口受理 SPEC §11 示例 → 家属扫码关联 → 跟踪至全部办结")
    demo.add_argument("--base-url", default=DEFAULT_BASE_URL, help=f"API 地址（默认 {DEFAULT_BASE_URL}）")
    demo.add_argument("--timeout", type=float, default=120.0, help="等待全部事项办结的最长秒数（默认 120）")
    demo.add_argument("--username", default="clerk.cs", help="窗口工作人员用户名（默认 clerk.cs）")
    demo.add_argument("--password", default="sandbox-pass-2026", help="窗口工作人员密码（沙箱默认 sandbox-pass-2026）")
    args = parser.parse_args(argv)

    for stream in (sys.stdout, sys.stderr):
        if (getattr(stream, "encoding", None) or "").lower().replace("-", "") != "utf8":
            try:
                stream.reconfigure(encoding="utf-8", errors="replace")
            except (AttributeError, ValueError):
                pass

    from mp_client_stub.demo import run

    return run(args.base_url, timeout=args.timeout, username=args.username, password=args.password,
               out=lambda line: print(line, flush=True))


if __name__ == "__main__":
    sys.exit(main())
