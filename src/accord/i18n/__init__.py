"""The languages people read Accord in: which ones, how a reader's is chosen, and the message
catalogues (Babel's PO files under locales/, read when the node starts)."""
