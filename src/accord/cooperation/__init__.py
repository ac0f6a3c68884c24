"""The cooperation mechanism: requests for information and assistance, their ledger, deadlines,
escalation to the hotline, and the review of timeliness and quality. Pure rules here; the store
and the interfaces call them."""
