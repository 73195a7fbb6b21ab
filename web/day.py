"""The screens of the station's day, registered by the app in one go."""

from web import admin, handover, money, problems_life, returns, shelves

BLUEPRINTS = (handover.bp, returns.bp, problems_life.bp, money.bp, admin.bp, shelves.bp)
