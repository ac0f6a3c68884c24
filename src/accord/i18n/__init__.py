"""The languages people read Accord in: which ones, how a reader's is chosen, and the message
catalogues (Babel's PO files under locales/, read when the node starts)."""


def N_(message: str) -> str:
    """Marks `message` for the catalogue without translating it: for label tables kept in
    English at module level and translated when a page shows them (Babel finds only literal
    strings inside a keyword's call)."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with a plural form for the catalogue, untranslated: the two forms, to be
    said with `ngettext` when the count is known."""
    return singular, plural
