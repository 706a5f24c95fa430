"""``python -m bot demo --web``: after the story, the web view serves Eva's caseload at
an address whose initData the demo signed with the fake bot's token."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from bot import demo


async def test_the_demo_serves_evas_caseload_at_the_address_it_prints(tmp_path: Path):
    lines: list[str] = []
    stop = asyncio.Event()
    played = asyncio.create_task(
        demo.play(out=lines.append, folder=tmp_path / "out", days=1, web_until=stop)
    )
    try:
        async with asyncio.timeout(120):
            while not any("/#tgWebAppData=" in line for line in lines):
                assert not played.done(), "\n".join(lines)
                await asyncio.sleep(0.1)
        address = next(line.strip() for line in lines if "/#tgWebAppData=" in line)
        parts = urlsplit(address)
        init_data = parse_qs(parts.fragment)["tgWebAppData"][0]
        async with httpx.AsyncClient(base_url=f"{parts.scheme}://{parts.netloc}") as web:
            opening = await web.get("/")
            signed_in = await web.post("/auth", data={"init_data": init_data, "next": "/"})
            caseload = await web.get("/caseload")
        assert 'id="signin"' in opening.text
        assert signed_in.status_code == 303
        assert caseload.status_code == 200 and "Lucía" in caseload.text
    finally:
        stop.set()
        await played
