#!/usr/bin/env python3
"""List the keys a language's catalog still lacks, with the English and
Dutch texts to translate from, as JSON on standard output.

    scripts/i18n_todo.py ro            # every public key missing in i18n/ro.json
    scripts/i18n_todo.py ro --stale    # also keys whose English changed? (not tracked: lists extra keys)

Staff-only keys (staff., socialmap., push., app., state., outcome., cards.
except cards.line.) exist in nl and en only; see server/i18n StaffOnly.
"""
import json, os, sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "i18n")
STAFF = ("staff.", "socialmap.", "push.", "app.", "state.", "outcome.", "cards.")
PUBLIC_EXCEPTIONS = ("cards.line.",)

def staff_only(k):
    if k.startswith(PUBLIC_EXCEPTIONS):
        return False
    return k.startswith(STAFF)

def load(lang):
    p = os.path.join(ROOT, lang + ".json")
    if not os.path.exists(p):
        return {}
    with open(p, encoding="utf-8") as f:
        return json.load(f)

def main():
    lang = sys.argv[1]
    en, nl, cur = load("en"), load("nl"), load(lang)
    todo = {k: {"en": en[k], "nl": nl.get(k)} for k in sorted(en)
            if not staff_only(k) and k not in cur and not k.startswith("_.")}
    extra = [k for k in cur if k not in en or staff_only(k)]
    json.dump({"missing": todo, "extra_keys_to_remove": extra}, sys.stdout, ensure_ascii=False, indent=1)
    print()

if __name__ == "__main__":
    main()
