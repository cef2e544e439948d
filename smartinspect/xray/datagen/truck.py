"""The vehicle: a skeletal container semi-trailer and, optionally, the tractor unit in front of it.

Side view, world mm. Both sides of the vehicle are crossed by the same ray, so symmetric parts (wheels, rails,
legs) count twice. Typical European/Asian dimensions: 385/65 R22.5 or twin 275/70 R22.5 tyres, 1310 mm axle
spacing, deck (container bottom) 1150-1320 mm above the road, tractor wheelbase 3.5-3.9 m.
"""

from __future__ import annotations

import numpy as np

from smartinspect.xray.datagen.container import ContainerSpec
from smartinspect.xray.datagen.parts import Part, hollow_box, solid
from smartinspect.xray.datagen.raster import Cells, Chord, Columns, PeriodicWalls, Poly, Radial, Rows, disc, rods, tubes

TRACTOR_MODES = ("full", "partial", "none")
CAB_LENGTH = 2350.0
GOOSENECK = 130.0  # depth of the trailer's front rails; the fifth wheel plate sits just below them
KINGPIN_OFFSET = 800.0


def wheel(xc: float, radius: float, *, tyres: int, tyre_width: float) -> list[Part]:
    """One axle end on each side: tyres (tread, sidewalls, steel belt), rim, disc, brake drum, hub, nuts, axle."""
    k = 2.0 * tyres  # rays cross both sides of the vehicle
    yc, rim = radius, 286.0  # 22.5 inch rim
    rubber = ((radius - 25.0, radius, k * tyre_width), (rim, radius - 25.0, k * 2 * 12.0))
    steel = ((radius - 31.0, radius - 27.0, k * tyre_width * 0.2), (rim - 7.0, rim, k * tyre_width * 0.9),
             (0.0, rim - 7.0, k * 12.0), (196.0, 215.0, 2 * 180.0), (0.0, 120.0, 2 * 160.0),
             (58.0, 70.0, 1750.0))  # belt, rim, disc, brake drum, hub, axle tube (along the ray)
    parts = [Part("rubber", Radial(xc, yc, rubber)), Part("steel", Radial(xc, yc, steel))]
    for a in np.linspace(0, 2 * np.pi, 6, endpoint=False):  # hand holes in the wheel disc
        parts.append(Part("steel", disc(xc + 215 * np.cos(a), yc + 215 * np.sin(a), 38.0, -k * 12.0)))
    for a in np.linspace(0, 2 * np.pi, 10, endpoint=False):
        parts.append(Part("steel", disc(xc + 142 * np.cos(a), yc + 142 * np.sin(a), 16.0, 2 * 35.0)))
    return parts


def trailer_parts(spec: ContainerSpec, x_front: float, deck: float, rng: np.random.Generator,
                  ) -> tuple[list[Part], float, float]:
    """Skeletal chassis with a gooseneck, bolsters, landing legs, bogie and rear bar; the kingpin is 800 mm behind
    ``x_front``. Returns (parts, container front x, trailer rear x)."""
    length = spec.length_mm + rng.uniform(150.0, 400.0)
    x_rear = x_front + length
    cx0 = x_front + rng.uniform(60.0, 120.0)
    rail = rng.uniform(380.0, 460.0)
    neck = x_front + (3000.0 if spec.length_mm > 7000 else 1500.0)  # gooseneck: shallow rails at the front
    parts = [Part("steel", Cells((x_front, neck), (deck - GOOSENECK, deck - GOOSENECK + 12, deck - 12, deck),
                                 ((300.0,), (12.0,), (300.0,)))),
             Part("steel", Cells((neck, x_rear), (deck - rail, deck - rail + 14, deck - 14, deck),
                                 ((300.0,), (12.0,), (300.0,)))),
             Part("steel", Poly(((neck - 300, deck - GOOSENECK), (neck, deck - GOOSENECK), (neck, deck - rail)), 12.0))]
    pitch = rng.uniform(650.0, 900.0)
    parts.append(Part("steel", Columns(neck, x_rear - 300, deck - 230, deck - 14,
                                       PeriodicWalls(pitch, 6.0, 1050.0, x_front + rng.uniform(0, pitch)))))
    for xb in (cx0, cx0 + spec.length_mm - 200.0) + ((cx0 + 5900.0,) if spec.length_mm > 7000 else ()):
        parts += hollow_box("steel", xb, xb + 200.0, deck - 160.0, deck, depth=2438.0, wall=6.0, end_wall=0.0)
        parts.append(solid("steel", xb + 40.0, xb + 150.0, deck - 10.0, deck + 40.0, 2 * 90.0))  # twist locks
    king = x_front + KINGPIN_OFFSET
    low = deck - GOOSENECK
    parts.append(solid("steel", x_front, x_front + 1500.0, low - 10.0, low, 1000.0))  # upper coupler plate
    parts.append(Part("steel", Columns(king - 26, king + 26, low - 85, low - 10, Chord(king, 26.0))))
    legs_x = x_front + rng.uniform(1800.0, 2300.0)
    parts += hollow_box("steel", legs_x, legs_x + 120, 420.0, low, depth=240.0, wall=6.0, end_wall=12.0)
    parts.append(solid("steel", legs_x - 110, legs_x + 230, 330.0, 345.0, 2 * 250.0))  # sand shoes
    parts.append(solid("steel", legs_x + 30, legs_x + 90, 345.0, 430.0, 2 * 60.0))
    n_axles = 3 if spec.length_mm > 7000 else 2
    radius = rng.choice([480.0, 536.0])
    tyres, width = (2, 275.0) if radius < 500 else (1, 385.0)
    last = x_rear - rng.uniform(1000.0, 1500.0)
    axles = [last - i * 1310.0 for i in range(n_axles)][::-1]
    for xa in axles:
        parts += wheel(xa, radius, tyres=tyres, tyre_width=width)
        parts.append(solid("steel", xa - 420, xa - 380, radius + 60, deck - rail, 2 * 12.0))  # hanger
        parts.append(Part("steel", Poly(((xa - 420, radius + 60), (xa - 380, radius + 110), (xa + 60, radius + 30),
                                         (xa + 40, radius - 20)), 2 * 70.0)))  # trailing arm
        parts.append(solid("rubber", xa + 80, xa + 330, radius + 60, deck - rail, 2 * 2 * 8.0))  # air bellow
    parts.append(solid("plastic", axles[0] - radius - 80, axles[-1] + radius + 80, 2 * radius + 50,
                       2 * radius + 55, 2 * 600.0))  # mudguards, crossed edge-on
    parts += hollow_box("steel", x_rear - 110, x_rear, 430.0, 530.0, depth=2438.0, wall=4.0, end_wall=0.0)
    parts.append(solid("steel", x_rear - 100, x_rear - 60, 530.0, deck - rail, 2 * 10.0))
    tank_y = deck - rail - 160.0
    tank_x = x_front + rng.uniform(3500.0, max(3600.0, length * 0.5))
    tank = tubes([tank_y], 120.0, 117.0)
    parts.append(Part("steel", Rows(tank_x, tank_x + 700.0, tank_y - 120, tank_y + 120, tank)))
    return parts, cx0, x_rear


def tractor_parts(x_front: float, deck: float, rng: np.random.Generator) -> tuple[list[Part], float]:
    """Cab-over tractor coupled under a trailer whose deck is at ``deck``. Returns (parts, kingpin x)."""
    wb = rng.uniform(3500.0, 3900.0)
    x_front_axle = x_front + 1350.0
    x_drive = x_front_axle + wb
    cab_top = rng.uniform(3050.0, 3900.0)
    parts = wheel(x_front_axle, 530.0, tyres=1, tyre_width=315.0)
    parts.append(Part("steel", Cells((x_front_axle - 50, x_front_axle - 8, x_front_axle + 8, x_front_axle + 50),
                                     (580.0, 595.0, 685.0, 700.0),
                                     ((1700.0, 1700.0, 1700.0), (0.0, 1700.0, 0.0), (1700.0, 1700.0, 1700.0)))))
    drives = [x_drive] + ([x_drive + 1350.0] if rng.random() < 0.35 else [])
    for xd in drives:  # twin tyres and the differential housing in the middle of the axle
        parts += wheel(xd, 500.0, tyres=2, tyre_width=295.0)
        parts.append(Part("steel", Radial(xd, 500.0, ((70.0, 210.0, 2 * 20.0), (0.0, 70.0, 160.0)))))
    rear = x_drive + rng.uniform(900.0, 1400.0)
    parts.append(Part("steel", Cells((x_front + 250, rear), (850.0, 858.0, 1142.0, 1150.0),
                                     ((160.0,), (16.0,), (160.0,)))))
    parts += _cab(x_front, cab_top)
    parts += _engine(x_front)
    tank_c = 850.0
    fill = tank_c + rng.uniform(-250.0, 250.0)
    shell = tubes([tank_c], 300.0, 297.0)
    parts.append(Part("aluminium", Rows(x_front + 2500, x_front + 3500, tank_c - 300, tank_c + 300, shell)))
    parts.append(Part("oil", Rows(x_front + 2500, x_front + 3500, tank_c - 297, fill, Chord(tank_c, 297.0))))
    parts.append(solid("lead", x_front + 3600, x_front + 4050, 620.0, 840.0, 2 * 60.0))  # batteries: lead plates
    parts.append(solid("plastic", x_front + 3590, x_front + 4060, 610.0, 860.0, 2 * 2 * 5.0 + 2 * 120.0 * 0.3))
    fifth = x_drive - rng.uniform(0.0, 300.0)
    plate = deck - GOOSENECK - 10.0
    parts.append(solid("steel", fifth - 450, fifth + 450, plate - 60.0, plate, 900.0 * 0.3))
    parts.append(solid("steel", fifth - 300, fifth + 300, 1150.0, plate - 60.0, 2 * 20.0))
    stack_x = x_front + CAB_LENGTH + 80.0
    stack = tubes([stack_x], 65.0, 63.5)
    parts.append(Part("steel", Columns(stack_x - 65, stack_x + 65, 1200.0, cab_top + 250.0, stack)))
    return parts, fifth


def _cab(x_front: float, cab_top: float) -> list[Part]:
    """Sheet-steel cab (edge-on panels are dark outlines), doors with impact beams, windows, dashboard with its
    cross-car beam, two seats, bunk, front bumper. Left and right items share x, so their paths add."""
    x0, x1, y0 = x_front + 100.0, x_front + CAB_LENGTH, 1150.0
    belt = y0 + 1050.0
    parts = hollow_box("steel", x0, x1, y0, cab_top, depth=2400.0, wall=1.0)
    parts += [solid("rubber", x0, x1, y0 + 1.0, y0 + 8.0, 2200.0),  # floor covering, edge-on
              solid("steel", x0 + 150, x0 + 1250, y0 + 60, belt, 2 * 2 * 0.9),  # two doors: skin + inner panel
              Part("steel", Rows(x0 + 150, x0 + 1250, y0 + 470, y0 + 530,
                                 tubes([y0 + 500], 30.0, 27.0, 2))),
              solid("glass", x0 + 200, x0 + 1250, belt, cab_top - 250, 2 * 4.0),
              Part("glass", Poly(((x0, 1950.0), (x0 + 6, 1950.0), (x0 + 160, cab_top - 250),
                                  (x0 + 154, cab_top - 250)), 2250.0)),  # windscreen, edge-on
              solid("plastic", x0 + 60, x0 + 650, y0 + 700, y0 + 1050, 2000.0 * 0.1),
              Part("steel", Radial(x0 + 380, y0 + 900, ((31.0, 35.0, 2000.0),))),  # cross-car beam
              Part("steel", Poly(((x0 + 480, y0 + 760), (x0 + 500, y0 + 760), (x0 + 700, y0 + 1160),
                                  (x0 + 680, y0 + 1160)), 40.0)),  # steering column
              Part("steel", Poly(((x0 + 560, y0 + 1020), (x0 + 580, y0 + 1010), (x0 + 790, y0 + 1320),
                                  (x0 + 770, y0 + 1330)), 2 * 25.0))]  # steering wheel rim, seen edge-on
    xs = x0 + 780.0
    parts += hollow_box("steel", xs, xs + 480, y0 + 120, y0 + 420, depth=2 * 480.0, wall=2.0)  # seat bases
    parts += [solid("plastic", xs, xs + 520, y0 + 420, y0 + 540, 2 * 500.0 * 0.06),  # foam cushions
              Part("plastic", Poly(((xs + 430, y0 + 420), (xs + 540, y0 + 420), (xs + 640, y0 + 1250),
                                    (xs + 530, y0 + 1250)), 2 * 500.0 * 0.06)),
              Part("steel", Poly(((xs + 520, y0 + 420), (xs + 532, y0 + 420), (xs + 632, y0 + 1250),
                                  (xs + 620, y0 + 1250)), 2 * 2 * 25.0)),  # backrest frames
              solid("textile", x1 - 750, x1 - 30, y0 + 500, y0 + 640, 2200.0 * 0.1),  # bunk mattress
              solid("steel", x1 - 750, x1 - 30, y0 + 480, y0 + 500, 2200.0 * 0.05),
              solid("plastic", x1 - 700, x1 - 80, y0 + 60, y0 + 470, 2 * 4.0 + 1200.0 * 0.05)]  # lockers
    parts += hollow_box("steel", x_front, x_front + 170, 480.0, 760.0, depth=2400.0, wall=3.0, end_wall=0.0)
    return parts


def _engine(x_front: float) -> list[Part]:
    """Six-cylinder diesel: iron block with bores, head, crank, gearbox, radiator."""
    x0, x1 = x_front + 350.0, x_front + 1450.0
    parts = [solid("steel", x0, x1, 700.0, 1300.0, 330.0), solid("steel", x0 + 40, x1 - 40, 1300.0, 1460.0, 260.0)]
    bores = rods(x0 + 120 + 160 * np.arange(6), 64.0, -1.0)
    parts.append(Part("steel", Columns(x0 + 40, x1 - 40, 1000.0, 1300.0, bores)))
    parts.append(solid("steel", x0 + 30, x1 - 60, 560.0, 700.0, 2 * 3.0))
    parts.append(solid("oil", x0 + 30, x1 - 60, 565.0, 640.0, 500.0))
    parts.append(Part("steel", disc(x1 + 60.0, 950.0, 260.0, 70.0)))  # flywheel housing
    parts.append(solid("aluminium", x1 + 130, x1 + 850, 800.0, 1150.0, 280.0))  # gearbox
    parts.append(solid("steel", x1 + 150, x1 + 830, 850.0, 1100.0, 90.0))
    parts.append(solid("aluminium", x_front + 140, x_front + 210, 700.0, 1750.0, 1000.0 * 0.12))  # radiator
    return parts
