from accord.taxii.media import accepts_taxii, is_taxii_content


def test_taxii_21_with_and_without_version_is_acceptable():
    assert accepts_taxii("application/taxii+json;version=2.1")
    assert accepts_taxii("application/taxii+json")
    assert accepts_taxii("application/taxii+json; version=2.1")


def test_missing_or_wildcard_accept_is_acceptable():
    assert accepts_taxii(None)
    assert accepts_taxii("")
    assert accepts_taxii("*/*")
    assert accepts_taxii("application/*")


def test_other_media_types_and_versions_are_not_acceptable():
    assert not accepts_taxii("text/html")
    assert not accepts_taxii("application/json")
    assert not accepts_taxii("application/taxii+json;version=2.0")
    assert not accepts_taxii("application/stix+json;version=2.1")


def test_q_weights_are_honoured():
    assert accepts_taxii("text/html;q=1.0, application/taxii+json;version=2.1;q=0.5")
    assert not accepts_taxii("application/taxii+json;version=2.1;q=0, text/html")
    assert not accepts_taxii("*/*;q=0")


def test_post_content_type_must_be_taxii_21():
    assert is_taxii_content("application/taxii+json;version=2.1")
    assert is_taxii_content("application/taxii+json")
    assert not is_taxii_content("application/json")
    assert not is_taxii_content("application/taxii+json;version=2.0")
    assert not is_taxii_content(None)


def test_the_most_specific_range_decides_as_rfc_7231_weighs_them():
    # TAXII 2.1 refused by name, anything else welcome: not TAXII 2.1.
    assert not accepts_taxii("application/taxii+json;version=2.1;q=0, */*")
    assert not accepts_taxii("application/taxii+json;q=0, application/*")
    # Named with its version, it is more specific than without.
    assert accepts_taxii("application/taxii+json;q=0, application/taxii+json;version=2.1")
    assert accepts_taxii("application/taxii+json;version=2.1, */*;q=0")
    assert not accepts_taxii("*/*;q=0")
