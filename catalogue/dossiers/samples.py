"""Small, valid sample files (PDF, PNG) generated in code, for the demo and the tests.

The PDF is a real one-page document with a correct cross-reference table, so
readers open it; the PNG is drawn with Pillow.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def sample_pdf(title: str, lines: list[str] | tuple[str, ...] = ()) -> bytes:
    """A one-page PDF showing ``title`` and ``lines`` (Latin-1 text)."""
    text_ops = ["BT", "/F1 16 Tf", "56 780 Td", f"({_pdf_escape(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        text_ops += ["0 -18 Td", f"({_pdf_escape(line)}) Tj"]
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def sample_png(label: str, size: tuple[int, int] = (640, 400),
               colour: tuple[int, int, int] = (18, 86, 140)) -> bytes:
    """A PNG with a coloured band and ``label`` (a screenshot-like image)."""
    image = Image.new("RGB", size, (246, 248, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0], max(40, size[1] // 6)), fill=colour)
    draw.text((16, 12), label[:60], fill=(255, 255, 255))
    for row in range(3):
        top = size[1] // 4 + row * size[1] // 6
        draw.rounded_rectangle((24, top, size[0] - 24, top + size[1] // 8), radius=8,
                               outline=colour, width=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
