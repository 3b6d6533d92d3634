"""Fixtures for the demo cluster tests: a fresh cluster per test on an
ephemeral port, and kubernetes_asyncio clients created inside the running
event loop (its ApiClient and Watch need one)."""

from __future__ import annotations

import pytest
from kubernetes_asyncio.client import ApiClient

from stsviz.sim import SimCluster
from tests.sim.simtools import SPEED, api_client


@pytest.fixture
async def cluster():
    async with SimCluster(speed=SPEED, seed=7) as running:
        yield running


@pytest.fixture
async def api(cluster) -> ApiClient:
    async with api_client(cluster, "admin") as client:
        yield client


@pytest.fixture
async def viewer_api(cluster) -> ApiClient:
    async with api_client(cluster, "viewer") as client:
        yield client
