"""HTTP entry points: FastAPI app, routers and response schemas."""
