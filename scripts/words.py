#!/usr/bin/env python3
"""Writes ui/js/words.js, the words generated passcodes are made of, from SCOWL's lists of the most
common English words (Debian package `scowl`, sizes 10 and 20).

Kept: 4 to 6 lowercase letters; not an inflection of a shorter common word (plurals, -ed, -ing,
-er, -est, -ly), so no two words differ by an ending; not unpleasant, religious or a proper name;
not a word that sounds like another common word, so a passcode read out loud is typed right.

    scripts/words.py            # rewrites ui/js/words.js; needs `apt-get install scowl`
"""

import os
import sys

SCOWL = "/usr/share/dict/scowl"
LISTS = ["english-words.10", "english-words.20", "american-words.10", "american-words.20"]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ui", "js", "words.js")
PER_LINE = 12

# Unkind, violent, crude, religious or otherwise unwelcome in a passcode that is read out loud.
UNWELCOME = set("""
abort abuse addict agony anorak bigot bloody bomb bugger bust condom corpse crap crass cult cums
curse cynic damn dead deaf death devil dumb evil fatal filthy greed greedy hell heroin horrid
horror idiot inane insane insult injure injury jerk kidnap kill lethal lousy lust misery moron
murder naked nasty poison punish racism racist rabid rape riot scum sexist sexual sexy sinful
slag slave stupid suicide terror thief thieve threat ugly vile virgin vomit weapon wicked witch
famine dread grim gross sick sicken bible bishop chapel choir church deity divine gospel heresy
pope pray preach priest saint sermon vicar ghost dying drunk drug guilt guilty prison jail crime
cruel brutal hate fraud freak fool dummy coke sordid drivel french roman scotch guinea tripos
physic ashcan spigot datum ergo thee thou whence whilst wive albeit circa lest hereby pence
cancer hatred victim blood bullet sword skull plague toilet drown wrath infect virus demise
dismal arrest combat attack enemy offend gnome pended pends cant wont rout leach baud sine
""".split())

# Each group sounds alike; every word in a group that the lists hold is left out.
SOUND_ALIKE = [
    "bare bear", "brake break", "cent sent scent", "heard herd", "hear here", "mail male",
    "meat meet", "peace piece", "plain plane", "read reed red", "right write rite", "role roll",
    "sail sale", "sole soul", "tail tale", "wait weight", "weak week", "hole whole", "wood would",
    "knew new", "know", "knight night", "pair pear", "rain reign", "road rode rowed", "steal steel",
    "their there", "threw through", "flour flower", "flew flue", "horse hoarse", "none nun",
    "pole poll", "which witch", "board bored", "lead led", "made maid", "main mane", "pain pane",
    "peak peek", "pour pore poor", "seam seem", "seen scene", "stair stare", "stake steak",
    "tide tied", "toad towed", "vain vein", "vary very", "wear where ware", "waste waist",
    "weigh", "whale wail", "cell sell", "sight site cite", "course coarse", "dear deer",
    "fair fare", "hair hare", "hall haul", "higher hire", "hour", "idle idol", "morning mourning",
    "plum plumb", "rode", "sweet suite", "tail", "wade weighed", "warn worn", "wait", "whine wine",
    "aloud allowed", "bold bowled", "bread bred", "ceiling sealing", "chord cord", "dual duel",
    "find fined", "flea flee", "gate gait", "grown groan", "guessed guest", "hay hey", "heal heel",
    "hymn him", "knot not", "lessen lesson", "loan lone", "mind mined", "missed mist", "mode mowed",
    "muscle mussel", "naval navel", "pause paws", "plaque", "presence presents", "principal",
    "rack wrack", "raise rays", "ring wring", "roam rome", "root route", "rose rows", "rough ruff",
    "sauce source", "scent", "sew sow so", "soar sore", "some sum", "sort sought", "stationary",
    "tense tents", "tire tyre", "toe tow", "troop troupe", "vice vise", "wave waive", "weather",
    "wrap rap", "wring", "yoke yolk", "you ewe", "colonel kernel", "allowed", "band banned",
    "billed build", "bolder boulder", "border boarder", "bridal bridle", "bury berry",
    "carrot carat", "cereal serial", "check cheque", "choral coral", "council counsel",
    "fined", "foul fowl", "grate great", "hostel hostile", "lain lane", "links lynx", "mall maul",
    "manner manor", "medal meddle", "metal mettle", "mince mints", "moan mown", "nose knows",
    "pedal peddle", "profit prophet", "rapped rapt wrapped", "seller cellar", "shoot chute",
    "sighs size", "stalk stork", "story storey", "tacks tax", "taught taut", "team teem",
    "tense", "thrown throne", "wore war", "lumbar lumber", "duct ducked", "bass base",
    "bored", "past passed", "chews choose", "bail bale", "ball bawl", "bean been", "beat beet",
    "blew blue", "boy buoy", "buy by bye", "ceiling", "coat", "creak creek", "dew due",
    "die dye", "ewe", "fir fur", "flair flare", "for four fore", "forth fourth", "hi high",
    "hoarse", "in inn", "its", "jeans genes", "lie lye", "meat", "might mite", "new",
    "oar or ore", "one won", "pail pale", "patience patients", "place plaice", "pray prey",
    "quarts quartz", "rain", "real reel", "sea see", "son sun", "stairs stares", "tea tee",
    "to too two", "wait", "ways weighs", "wood", "wear", "wheel we'll", "whose", "yore your",
]


def main():
    common = set()
    for name in LISTS:
        path = os.path.join(SCOWL, name)
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: apt-get install scowl")
        with open(path, encoding="latin-1") as f:
            common.update(line.strip() for line in f)
    alike = {word for group in SOUND_ALIKE for word in group.split()}
    chosen = sorted(
        w for w in common
        if w.isascii() and w.isalpha() and w.islower() and 4 <= len(w) <= 6
        and not any(stem in common for stem in stems(w))
        and w not in UNWELCOME and w not in alike
    )
    lines = [
        "'use strict';",
        "",
        "// The words generated passcodes are made of: common, short and easy to say. Written by",
        f"// scripts/words.py from SCOWL's most common English words; {len(chosen)} words, so three give",
        f"// {3 * (len(chosen).bit_length() - 1)}+ bits.",
        "",
        "export const WORDS = Object.freeze([",
    ]
    for i in range(0, len(chosen), PER_LINE):
        lines.append("  " + " ".join(f"'{w}'," for w in chosen[i:i + PER_LINE]))
    lines += ["]);", ""]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))
    print(f"{len(chosen)} words written to {os.path.relpath(OUT)}")


def stems(word):
    """The shorter words `word` may be an inflection of."""
    found = []
    for ending, replace in (("s", [""]), ("es", [""]), ("ies", ["y"]), ("ed", ["", "e"]),
                            ("ied", ["y"]), ("ing", ["", "e"]), ("er", ["", "e"]), ("ier", ["y"]),
                            ("est", ["", "e"]), ("iest", ["y"]), ("ly", [""])):
        if word.endswith(ending):
            root = word[: -len(ending)]
            found += [root + r for r in replace]
            # A doubled last consonant: "stopped", "bigger".
            if ending in ("ed", "ing", "er", "est") and len(root) > 2 and root[-1] == root[-2]:
                found.append(root[:-1])
    return [s for s in found if len(s) >= 2]


if __name__ == "__main__":
    main()
