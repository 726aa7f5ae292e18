#!/usr/bin/env python3
"""Messages for the demo mailbox: invoices from whitelisted senders (one forwarded as an
attachment, one with an RFC 2231 Polish file name), and mail goniec must leave alone."""
import os
import sys
from email.message import EmailMessage


def pdf(text):
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% " + text.encode() + b"\ntrailer<<>>\n%%EOF\n"


def message(sender, subject, attachments=(), body="W załączeniu faktura."):
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, "faktury@acme.example", subject
    m["Date"] = "Mon, 02 Nov 2026 08:15:00 +0100"
    m["Message-ID"] = "<%s@demo.example>" % abs(hash(subject))
    m.set_content(body)
    for name, data in attachments:
        m.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return m


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    pge = message("PGE Obrót <faktury@pge.pl>", "Faktura FV/11/2026/123",
                  [("FV-11-2026-123.pdf", pdf("PGE invoice 123"))])
    tauron = message("e-faktura@tauron.pl", "Faktura za gaz",
                     [("Faktura źródłowa listopad.pdf", pdf("Tauron gas invoice"))])
    forwarded = EmailMessage()
    forwarded["From"], forwarded["To"] = "biuro@orange.pl", "faktury@acme.example"
    forwarded["Subject"], forwarded["Date"] = "Fwd: faktura Orange", "Tue, 03 Nov 2026 09:00:00 +0100"
    forwarded["Message-ID"] = "<fwd-orange@demo.example>"
    forwarded.set_content("Przesyłam fakturę.")
    inner = message("faktury@orange.pl", "Faktura Orange 11/2026",
                    [("orange-11-2026.pdf", pdf("Orange invoice"))])
    forwarded.add_attachment(inner)
    newsletter = message("news@sklep.example", "Promocja!", [("ulotka.pdf", pdf("ad"))])
    for i, m in enumerate([pge, tauron, forwarded, newsletter]):
        with open(os.path.join(out, "%02d.eml" % i), "wb") as f:
            f.write(bytes(m))


if __name__ == "__main__":
    main()
