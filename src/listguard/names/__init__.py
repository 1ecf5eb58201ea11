"""Name analysis for screening: romanisation from every script the lists use, typed tokens,
phonetic keys that fold romanisation systems, known name variants, and token weights.

* :mod:`listguard.names.translit` - one token from any script to ASCII (with its script class);
* :mod:`listguard.names.tokens` - a name string to typed tokens (:func:`analyse_name`);
* :mod:`listguard.names.phonetic` - romanisation, loose, skeleton, broad, Korean, Chinese keys;
* :mod:`listguard.names.variants` - the name-variant table (rigour / Wikidata);
* :mod:`listguard.names.weights` - how much a token identifies (inverse frequency).
"""

from listguard.names.tokens import NameForm, Token, analyse_name, tag_for_schema

__all__ = ["NameForm", "Token", "analyse_name", "tag_for_schema"]
