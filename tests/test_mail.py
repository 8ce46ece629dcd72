"""Mail without MAIL_SERVER is printed to the terminal, readable and with links that work."""

from __future__ import annotations

from app.mail import send_mail


def test_a_printed_reset_mail_shows_the_link_exactly_as_it_works(app, capsys, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    # A reset link is long and full of "=" and "-": quoted-printable would break and escape it.
    url = "http://bistro.localhost:5000/password/reset/" + "eyJ1c2VyIjo0Mn0=.Z0-x_" * 6 + "abc="
    body = f"Bonjour Lée,\n\nOuvrez ce lien dans les 60 minutes pour réinitialiser :\n\n{url}\n\nMerci."
    with app.test_request_context("/"):
        send_mail("lee@bistro.example", "Réinitialisez votre mot de passe", body)
    printed = capsys.readouterr().err
    assert url in printed.splitlines()
    assert "Subject: Réinitialisez votre mot de passe" in printed and "Bonjour Lée," in printed
    assert "=3D" not in printed and "quoted-printable" not in printed
