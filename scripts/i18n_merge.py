#!/usr/bin/env python3
"""Merge translations into a catalog: keys from FILE (a flat JSON object)
are laid over i18n/LANG.json; keys that are not public keys of en.json are
dropped; the result is written sorted.

    scripts/i18n_merge.py ro /tmp/ro-part.json
"""
import json, os, sys
sys.path.insert(0, os.path.dirname(__file__))
from i18n_todo import load, staff_only, ROOT

def main():
    lang, part = sys.argv[1], sys.argv[2]
    en, cur = load("en"), load(lang)
    with open(part, encoding="utf-8") as f:
        new = json.load(f)
    cur.update(new)
    out = {k: v for k, v in cur.items() if (k in en and not staff_only(k)) or k.startswith("_.")}
    with open(os.path.join(ROOT, lang + ".json"), "w", encoding="utf-8") as f:
        json.dump(dict(sorted(out.items())), f, ensure_ascii=False, indent=1)
        f.write("\n")
    missing = [k for k in en if not staff_only(k) and k not in out]
    print(f"{lang}: {len(out)} keys, {len(missing)} public keys still missing")

if __name__ == "__main__":
    main()
