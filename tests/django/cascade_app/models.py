"""Users deleted through a cascade: an organization's members (multi-table children of auth.User) go with it."""

from django.contrib.auth.models import User
from django.db import models


class Organization(models.Model):
    name = models.CharField(max_length=50)


class Member(User):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
