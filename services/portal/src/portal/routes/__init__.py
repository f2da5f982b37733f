"""The portal's routes by area, each an `APIRouter` built from the shared `Pages`."""
