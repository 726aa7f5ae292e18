#!/usr/bin/env python3
"""Messages for the demo mailbox: invoices from whitelisted senders (one forwarded as an
attachment, one with an RFC 2231 Polish file name), and mail goniec must leave alone.
The invoices are PDFs with a text layer (drawn as the fixture portal draws its own), made
out to the demo company ACME (NIP 526-025-02-74): the demo's bank transfers pay them."""
import os
import sys
from email.message import EmailMessage

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
from portal_server import one_page_pdf  # noqa: E402


def pdf(text):
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% " + text.encode() + b"\ntrailer<<>>\n%%EOF\n"


def invoice(number, seller, seller_nip, gross, issued, due, account):
    """A one-page purchase invoice of ACME, as a PDF with text (dates dd.mm.yyyy)."""
    return one_page_pdf([
        (40, 790, 13, "FAKTURA VAT nr " + number),
        (360, 770, 9, "Data wystawienia:"), (460, 770, 9, issued),
        (40, 730, 9, "Sprzedawca:"), (320, 730, 9, "Nabywca:"),
        (40, 716, 9, seller), (320, 716, 9, "ACME Sp. z o.o."),
        (40, 692, 9, "NIP: " + seller_nip), (320, 692, 9, "NIP: 526-025-02-74"),
        (40, 660, 9, "Nr rachunku: " + account),
        (40, 640, 10, "Do zapłaty: %s zł" % gross),
        (40, 620, 9, "Termin płatności: " + due)])


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
                  [("FV-11-2026-123.pdf", invoice("FV/11/2026/123", "PGE Obrót S.A.", "725-180-11-26", "245,18",
                                                   "02.11.2026", "16.11.2026",
                                                   "PL27 1140 2004 0000 3002 0135 5387"))])
    tauron = message("e-faktura@tauron.pl", "Faktura za gaz",
                     [("Faktura źródłowa listopad.pdf", invoice("TA/2026/11/0123", "Tauron Sprzedaż sp. z o.o.",
                                                               "521-300-00-09", "123,45", "01.11.2026",
                                                               "15.11.2026",
                                                               "PL48 1020 5558 1123 7424 8114 0246"))])
    forwarded = EmailMessage()
    forwarded["From"], forwarded["To"] = "biuro@orange.pl", "faktury@acme.example"
    forwarded["Subject"], forwarded["Date"] = "Fwd: faktura Orange", "Tue, 03 Nov 2026 09:00:00 +0100"
    forwarded["Message-ID"] = "<fwd-orange@demo.example>"
    forwarded.set_content("Przesyłam fakturę.")
    inner = message("faktury@orange.pl", "Faktura Orange 11/2026",
                    [("orange-11-2026.pdf", invoice("F/11/2026/778899", "Orange Polska S.A.", "123-456-32-18",
                                                  "99,99", "03.11.2026", "17.11.2026",
                                                  "PL02 1020 5558 6469 4197 9733 1348"))])
    forwarded.add_attachment(inner)
    newsletter = message("news@sklep.example", "Promocja!", [("ulotka.pdf", pdf("ad"))])
    for i, m in enumerate([pge, tauron, forwarded, newsletter]):
        with open(os.path.join(out, "%02d.eml" % i), "wb") as f:
            f.write(bytes(m))


if __name__ == "__main__":
    main()
