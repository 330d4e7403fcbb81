"""Reference ChatKit backend for chatkit-inject: FastAPI + the openai-chatkit SDK, offline."""
