"""Draw the example site's images: photo-like JPEGs, WebP copies, PNG logo and icons, favicon.

No real photographs ship with the project, so each "photo" is a landscape drawn from a seed (sky
gradient, layered hills, fields, huts, trees) with film-grain noise, which gives JPEG files of a
realistic size (a 1200x675 featured image is roughly 100-150 KB). Every size WordPress would make
is resized from the full image, as WordPress does. Output is deterministic for a given Pillow.

Pillow is not a project dependency; use a throwaway virtualenv::

    python3 -m venv /tmp/pil && /tmp/pil/bin/pip install pillow
    /tmp/pil/bin/python examples/site/_tools/make_images.py
"""

from __future__ import annotations

import io
import math
import random
import sys
import zlib
from pathlib import Path

from content import AUTHORS, DEFAULT_SEED, SITE_ROOT, Photo, load_articles
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

RGB = tuple[int, int, int]

SCENES: dict[str, tuple[RGB, RGB, RGB, RGB]] = {
    # sky top, sky horizon, land near horizon, land foreground
    "hills": ((96, 146, 206), (232, 226, 204), (86, 122, 70), (44, 74, 38)),
    "gold": ((120, 168, 214), (246, 226, 178), (196, 160, 72), (150, 112, 40)),
    "dusk": ((58, 62, 112), (238, 150, 96), (92, 84, 60), (48, 42, 32)),
    "overcast": ((150, 158, 166), (214, 214, 208), (98, 112, 88), (62, 72, 56)),
}
JPEG_QUALITY = 84


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return (r, g, bl)


def _vertical_gradient(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], a: RGB, b: RGB
) -> None:
    left, top, right, bottom = box
    for y in range(top, bottom):
        draw.line([(left, y), (right, y)], fill=_mix(a, b, (y - top) / max(1, bottom - top - 1)))


def landscape(size: tuple[int, int], scene: str, seed: int) -> Image.Image:
    """A seeded, photo-like landscape of the given size."""
    width, height = size
    rnd = random.Random(seed)
    sky_top, sky_low, land_far, land_near = SCENES[scene]
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    horizon = int(height * rnd.uniform(0.42, 0.58))
    _vertical_gradient(draw, (0, 0, width, horizon + height // 5), sky_top, sky_low)
    if scene in ("gold", "dusk"):
        cx, cy, r = rnd.randint(width // 5, width * 4 // 5), horizon - height // 6, height // 14
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=_mix(sky_low, (255, 244, 214), 0.7))
    for layer in range(4):
        base = horizon - height * 0.16 + layer * height * 0.055
        amp = height * rnd.uniform(0.03, 0.09)
        phase, freq = rnd.uniform(0, math.tau), rnd.uniform(1.2, 3.5)
        points = [
            (
                x,
                base
                - amp * math.sin(phase + freq * math.tau * x / width)
                - amp * 0.35 * math.sin(2.3 * phase + 2.9 * freq * math.tau * x / width),
            )
            for x in range(0, width + 16, 16)
        ]
        colour = _mix(sky_low, land_far, 0.35 + layer * 0.2)
        draw.polygon([*points, (width, height), (0, height)], fill=colour)
        for _ in range(int(width / 18)):  # tree crowns along the ridge
            x = rnd.uniform(0, width)
            y = base - amp * math.sin(phase + freq * math.tau * x / width) + rnd.uniform(0, 30)
            r = rnd.uniform(3, 9) * (1 + layer * 0.4)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=_mix(colour, (20, 40, 20), 0.25))
    _vertical_gradient(draw, (0, horizon, width, height), land_far, land_near)
    for row in range(horizon + 6, height, max(6, height // 60)):  # field furrows
        wobble = rnd.uniform(-0.03, 0.03) * width
        draw.line([(0, row), (width, row + wobble)], fill=_mix(land_far, land_near, 0.6), width=2)
    for _ in range(rnd.randint(3, 7)):  # bamboo huts on stilts
        hut_w = rnd.randint(width // 22, width // 9)
        hut_h = int(hut_w * rnd.uniform(0.45, 0.7))
        x = rnd.randint(0, width - hut_w)
        y = rnd.randint(horizon + hut_h, max(horizon + hut_h + 1, height - hut_h))
        wall = _mix((150, 112, 70), (200, 170, 120), rnd.random())
        for post in (x + hut_w // 8, x + hut_w - hut_w // 8):
            draw.line([(post, y), (post, y + hut_h // 2)], fill=(70, 50, 30), width=3)
        draw.rectangle([x, y - hut_h, x + hut_w, y], fill=wall)
        roof = [
            (x - hut_w // 6, y - hut_h),
            (x + hut_w // 2, y - hut_h * 2),
            (x + hut_w * 7 // 6, y - hut_h),
        ]
        draw.polygon(roof, fill=_mix((120, 96, 60), (90, 80, 70), rnd.random()))
    for _ in range(rnd.randint(20, 40)):  # foreground shrubs
        x, y = rnd.uniform(0, width), rnd.uniform(horizon + height * 0.1, height)
        r = rnd.uniform(6, 22) * (y / height)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=_mix(land_near, (10, 30, 10), 0.4))
    img = img.filter(ImageFilter.GaussianBlur(1.6))
    grain = Image.frombytes("L", size, rnd.randbytes(width * height))
    grain = grain.filter(ImageFilter.GaussianBlur(0.6)).convert("RGB")
    return Image.blend(img, grain, 0.11)


def save(img: Image.Image, url_path: str) -> int:
    """Write an image to its URL path under the site folder; return its size in bytes."""
    path = SITE_ROOT / url_path.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        img.convert("RGB").save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    elif suffix == ".webp":
        img.convert("RGB").save(buf, "WEBP", quality=78, method=6)
    elif suffix == ".png":
        img.save(buf, "PNG", optimize=True)
    elif suffix == ".ico":
        img.save(buf, "ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    else:
        raise ValueError(f"no encoder for {url_path}")
    path.write_bytes(buf.getvalue())
    return len(buf.getvalue())


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode())


def photo_files(photo: Photo) -> int:
    full = landscape(photo.full, photo.scene, seed_of(photo.stem))
    total = 0
    for url_path, size in photo.files():
        if size == (150, 150):
            img = ImageOps.fit(full, size, Image.Resampling.LANCZOS)
        elif size == photo.full:
            img = full
        else:
            img = full.resize(size, Image.Resampling.LANCZOS)
        total += save(img, url_path)
    return total


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def logo(scale: int) -> Image.Image:
    width, height = 320 * scale, 90 * scale
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle([0, 0, width - 1, height - 1], radius=8 * scale, fill=(31, 77, 54, 255))
    draw.rectangle([16 * scale, 70 * scale, 120 * scale, 75 * scale], fill=(179, 38, 30, 255))
    draw.text(
        (16 * scale, 14 * scale),
        "KAREN NEWS",
        font=font(40 * scale),
        fill="white",
        stroke_width=scale,
        stroke_fill="white",
    )
    draw.text((130 * scale, 64 * scale), "karennews", font=font(13 * scale), fill=(220, 226, 214))
    return img


def site_icon(size: int) -> Image.Image:
    img = Image.new("RGBA", (size, size), (31, 77, 54, 255))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, size * 3 // 4, size, size], fill=(179, 38, 30, 255))
    draw.text(
        (size / 2, size * 0.4),
        "KN",
        font=font(int(size * 0.5)),
        fill="white",
        anchor="mm",
        stroke_width=max(1, size // 40),
        stroke_fill="white",
    )
    return img


def avatar(name: str, size: int, colour: RGB) -> Image.Image:
    img = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(img)
    initials = "".join(w[0] for w in name.split()[-2:]).upper()
    draw.text((size / 2, size / 2), initials, font=font(size // 2 - 4), fill="white", anchor="mm")
    grain = Image.frombytes("L", (size, size), random.Random(name).randbytes(size * size))
    return Image.blend(img, grain.convert("RGB"), 0.05)


def advert() -> Image.Image:
    img = landscape((300, 250), "dusk", seed_of("advert"))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 150, 300, 250], fill=(31, 77, 54))
    draw.text((150, 178), "Support independent", font=font(22), fill="white", anchor="mm")
    draw.text((150, 204), "journalism", font=font(22), fill="white", anchor="mm")
    draw.rounded_rectangle([95, 220, 205, 244], radius=4, fill=(179, 38, 30))
    draw.text((150, 232), "Donate today", font=font(14), fill="white", anchor="mm")
    return img


def footer_pattern() -> Image.Image:
    img = Image.new("RGB", (64, 64), (29, 42, 34))
    draw = ImageDraw.Draw(img)
    for i in range(-64, 64, 16):
        draw.line([(i, 64), (i + 64, 0)], fill=(36, 52, 42), width=3)
    return img


def default_avatar(size: int) -> Image.Image:
    img = Image.new("RGB", (size, size), (200, 200, 200))
    draw = ImageDraw.Draw(img)
    r = size // 5
    draw.ellipse(
        [size / 2 - r, size * 0.22, size / 2 + r, size * 0.22 + 2 * r], fill=(245, 245, 245)
    )
    draw.ellipse([size * 0.18, size * 0.62, size * 0.82, size * 1.2], fill=(245, 245, 245))
    return img


def main() -> int:
    articles = load_articles(DEFAULT_SEED if len(sys.argv) < 2 else Path(sys.argv[1]))
    total = 0
    for article in articles:
        for photo in (article.featured, article.inline_image, *article.gallery):
            if photo is not None:
                total += photo_files(photo)
    palette = [(31, 77, 54), (179, 38, 30), (64, 96, 140), (120, 84, 40), (90, 60, 110)]
    for colour, author in zip(palette, AUTHORS.values(), strict=True):
        total += save(avatar(author.name, 96, colour), author.avatar)
        total += save(avatar(author.name, 192, colour), author.avatar_2x)
    uploads = "/wp-content/uploads/2023"
    total += save(logo(1), f"{uploads}/01/karen-news-logo.png")
    total += save(logo(2), f"{uploads}/01/karen-news-logo-640x180.png")
    for size in (32, 180, 192, 270):
        total += save(site_icon(size), f"{uploads}/01/cropped-kn-icon-{size}x{size}.png")
    total += save(site_icon(48), "/favicon.ico")
    total += save(advert(), f"{uploads}/06/kn-support-ad-300x250.jpg")
    theme = "/wp-content/themes/kn/images"
    total += save(landscape((1600, 220), "hills", seed_of("header")), f"{theme}/header-bg.jpg")
    total += save(
        landscape((800, 300), "overcast", seed_of("newsletter")), f"{theme}/newsletter-bg.jpg"
    )
    total += save(footer_pattern(), f"{theme}/footer-pattern.png")
    total += save(default_avatar(56), f"{theme}/avatar-default.png")
    total += save(default_avatar(112), f"{theme}/avatar-default-2x.png")
    print(f"wrote images: {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
