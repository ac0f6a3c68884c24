"""The fixed vocabulary of STIX 2.1: object types by kind, closed enumerations, fixed markings.

Only what the specification makes binding lives here. Open vocabularies (`-ov`, §10) are
suggestions a producer MAY leave, so they are not listed and never checked.
"""

from __future__ import annotations

# §4: STIX Domain Objects.
SDO_TYPES = frozenset({
    "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
    "indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis",
    "note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability",
})

# §5: STIX Relationship Objects.
SRO_TYPES = frozenset({"relationship", "sighting"})

# §6: STIX Cyber-observable Objects.
SCO_TYPES = frozenset({
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message",
    "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process",
    "software", "url", "user-account", "windows-registry-key", "x509-certificate",
})

# §7: STIX Meta Objects.
SMO_TYPES = frozenset({"language-content", "marking-definition", "extension-definition"})

# §8: a bundle is a container, not a STIX Object; nothing may refer to one.
BUNDLE = "bundle"

# §3.8: names no object or property may use.
RESERVED_PROPERTY_NAMES = frozenset({
    "severity", "username", "action",
    # The 2.1 Errata text says "phone_number"; the OASIS schemas reserve "phone_numbers".
    "phone_number", "phone_numbers",
})
RESERVED_TYPE_NAMES = frozenset({"action"})

# §10.5 extension-type-enum.
EXTENSION_TYPES = frozenset({
    "new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension",
})

# §10.18 opinion-enum.
OPINIONS = frozenset({"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"})

# §10.4 encryption-algorithm-enum.
ENCRYPTION_ALGORITHMS = frozenset({"AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"})

# §10.16 network-socket-address-family-enum.
SOCKET_ADDRESS_FAMILIES = frozenset({
    "AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK", "AF_NETBIOS", "AF_INET6", "AF_IRDA",
    "AF_BTH",
})

# §10.17 network-socket-type-enum.
SOCKET_TYPES = frozenset({"SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET"})

# §6.12.2.3: socket option keys are the OS constants, of these families.
SOCKET_OPTION_PREFIXES = ("SO_", "ICMP_", "ICMP6_", "IP_", "IPV6_", "MCAST_", "TCP_", "IRLMP_")

# §10.27 windows-integrity-level-enum.
WINDOWS_INTEGRITY_LEVELS = frozenset({"low", "medium", "high", "system"})

# §10.29 windows-registry-datatype-enum.
WINDOWS_REGISTRY_DATATYPES = frozenset({
    "REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN",
    "REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST",
    "REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD",
    "REG_INVALID_TYPE",
})

# §10.30–10.32 windows-service-start-type-enum, -type-enum, -status-enum.
WINDOWS_SERVICE_START_TYPES = frozenset({
    "SERVICE_AUTO_START", "SERVICE_BOOT_START", "SERVICE_DEMAND_START", "SERVICE_DISABLED",
    "SERVICE_SYSTEM_ALERT",
})
WINDOWS_SERVICE_TYPES = frozenset({
    "SERVICE_KERNEL_DRIVER", "SERVICE_FILE_SYSTEM_DRIVER", "SERVICE_WIN32_OWN_PROCESS",
    "SERVICE_WIN32_SHARE_PROCESS",
})
WINDOWS_SERVICE_STATUSES = frozenset({
    "SERVICE_CONTINUE_PENDING", "SERVICE_PAUSE_PENDING", "SERVICE_PAUSED", "SERVICE_RUNNING",
    "SERVICE_START_PENDING", "SERVICE_STOP_PENDING", "SERVICE_STOPPED",
})

# §10.10 hash-algorithm-ov: the names external references MUST use (§2.5.1), each with the
# length of its hex digest where the algorithm fixes one.
HASH_ALGORITHMS = frozenset({
    "MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH",
})
HASH_HEX_LENGTHS = {
    "MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-512": 128, "SHA3-256": 64, "SHA3-512": 128,
}

# §7.2.1.4: the only TLP 1.0 marking definitions that may exist, keyed by id.
TLP_MARKINGS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "white",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}
TLP_CREATED = "2017-01-20T00:00:00.000Z"
# TLP 2.0's marking definitions (FIRST, published by OASIS as STIX objects): each defined by a
# property extension, and taken only as published, since a reader goes by the id.
TLP2_MARKINGS = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
}
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
