"""The outbound TLS context: loaded once per CA file as it is on disk and shared by the clients whose
transport never changes it; a new one for the transport that does (httpcore sets ALPN on it)."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import pytest
import trustme

from appconnect.crm_http._network import build_ssl_context, shared_ssl_context


def _ca_file(path: Path) -> trustme.CA:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(path))
    return ca


def _trusted_subjects(context: ssl.SSLContext) -> list[object]:
    return [certificate["subject"] for certificate in context.get_ca_certs()]


def test_clients_built_for_the_same_ca_file_share_one_loaded_context(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    _ca_file(bundle)

    first, second = shared_ssl_context(str(bundle)), shared_ssl_context(str(bundle))

    assert first is second
    assert len(first.get_ca_certs()) == 1
    assert shared_ssl_context(None) is shared_ssl_context(None)  # certifi's bundle, the default
    assert shared_ssl_context(None) is not first


def test_a_rewritten_ca_file_is_loaded_again(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    _ca_file(bundle)
    before = shared_ssl_context(str(bundle))
    replacement = tmp_path / "new.pem"
    _ca_file(replacement)
    os.replace(replacement, bundle)  # how a certificate rotation lands: a new file under the old name

    after = shared_ssl_context(str(bundle))

    assert after is not before
    assert _trusted_subjects(after) != _trusted_subjects(before)
    assert _trusted_subjects(after) == _trusted_subjects(ssl.create_default_context(cafile=str(bundle)))


def test_a_missing_or_unreadable_ca_file_still_fails_as_the_tls_library_says(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        shared_ssl_context(str(tmp_path / "absent.pem"))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ssl.SSLError):
        shared_ssl_context(str(garbage))


def test_the_transport_that_sets_alpn_on_its_context_gets_a_context_of_its_own(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    _ca_file(bundle)
    shared = shared_ssl_context(str(bundle))

    own = build_ssl_context(str(bundle))

    assert own is not shared and own is not build_ssl_context(str(bundle))
    assert _trusted_subjects(own) == _trusted_subjects(shared)
