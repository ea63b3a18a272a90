"""``python -m greenroom.policies.runtime.rehash CONTRACT.json ...``: re-seal contract files.

Validates each file and rewrites it as a format-2 contract with a fresh ``contract_sha256``
(:func:`greenroom.policies.runtime.contract.rehash_contract`): for contracts written before
format 2 and for deliberate hand edits. The model hash is left as it is.
"""
from __future__ import annotations

import sys

from .contract import ContractError, rehash_contract


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or any(a.startswith("-") for a in args):
        print("usage: python -m greenroom.policies.runtime.rehash CONTRACT.json ...", file=sys.stderr)
        return 2
    for name in args:
        try:
            print(rehash_contract(name))
        except ContractError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
