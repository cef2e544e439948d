"""One APIRouter per resource; ``smartinspect.api.app`` includes them."""
